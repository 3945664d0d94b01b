/** Messages between the scheduler and a node-stage worker process. */
import type { InputArtifact } from './node-contract.js';
import type { NodeEvent, NodeRunResult } from './node-runner.js';

export type ToWorker =
  | {
      type: 'run';
      modulePath: string;
      stageId: string;
      params: unknown;
      inputs: Record<string, InputArtifact[]>;
      outputRoot: string;
      resumeDir: string;
      devices: { cpuSlots: number; gpuIds: number[] };
    }
  | { type: 'stop' };

export type FromWorker =
  | { type: 'event'; event: NodeEvent }
  | { type: 'done'; result: NodeRunResult }
  | { type: 'error'; message: string; user: boolean; stack?: string | undefined };
