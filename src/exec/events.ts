/**
 * The one event stream of a run. The executor emits these; every reporter (Ink view, plain logger,
 * `--json` NDJSON) consumes the same stream, so no reporter reaches into the engine.
 * The JSON form of each event is its documented wire schema: fields are only ever added.
 */
import type { MetricValue, ProgressUpdate } from './node-contract.js';

/** Why a stage will run (or why it is cached), in words a user reads in `status` and the UI. */
export type StageReason = string;

export interface StagePlanEntry {
  stageId: string;
  /** `cmd` or the node name (`ensemble/vote`). */
  kind: string;
  /** Stage ids this stage consumes from, for tree/DAG-order display. */
  needs: string[];
  state: 'cached' | 'will-run' | 'blocked';
  reasons: StageReason[];
  /** The stage key, when it is known before the run (its inputs are all cached). */
  key?: string;
  /** How long the stage took the last time it ran (from its cached result), for ETAs. */
  expectedMs?: number;
}

export type RunEvent =
  | { type: 'run-started'; runId: string; pipeline: string; time: number; stages: StagePlanEntry[]; jobs: number; cpus: number; gpus: number[] }
  | { type: 'stage-queued'; runId: string; stageId: string; time: number }
  | { type: 'stage-cached'; runId: string; stageId: string; time: number; key: string; savedMs: number; metrics: Record<string, MetricValue> }
  | { type: 'stage-started'; runId: string; stageId: string; time: number; key: string; cpuSlots: number; gpuIds: number[]; pid?: number }
  | { type: 'stage-progress'; runId: string; stageId: string; time: number; progress: ProgressUpdate }
  | { type: 'stage-log'; runId: string; stageId: string; time: number; stream: 'stdout' | 'stderr' | 'node'; line: string }
  | { type: 'stage-metrics'; runId: string; stageId: string; time: number; metrics: Record<string, MetricValue> }
  | { type: 'stage-finished'; runId: string; stageId: string; time: number; key: string; durationMs: number; metrics: Record<string, MetricValue> }
  /** `cancelled`: the user stopped it (Ctrl-C), as opposed to a failure of its own. */
  | { type: 'stage-failed'; runId: string; stageId: string; time: number; durationMs: number; error: string; cancelled?: boolean }
  /** A stage that did not run because something it needs failed or the run was cancelled. */
  | { type: 'stage-skipped'; runId: string; stageId: string; time: number; reason: string }
  | { type: 'run-cancelling'; runId: string; time: number; force: boolean }
  | { type: 'run-finished'; runId: string; time: number; status: 'succeeded' | 'failed' | 'cancelled'; durationMs: number; counts: { ran: number; cached: number; failed: number; skipped: number } };

export type RunEventType = RunEvent['type'];

/** A consumer of the run's event stream (a reporter). `close` is awaited once the run ends. */
export interface RunReporter {
  onEvent(event: RunEvent): void;
  close?(): Promise<void> | void;
}
