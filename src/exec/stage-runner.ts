/**
 * Executing one stage whose key missed: materialise its inputs, run its command or node in a
 * worker process, store its outputs. The executor decides what runs and when; a StageRunner only
 * runs it — in this process's workspace (LocalStageRunner), or on another machine (the BullMQ
 * runner of src/exec/distributed/, whose workers run LocalStageRunner themselves).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { hostname, platform } from 'node:os';
import { dirname, join } from 'node:path';
import type { ActionResult } from '../cache/action-cache.js';
import { CorruptBlobError, type BlobStore, type StoredArtifact } from '../cache/blob-store.js';
import type { GraphStage } from '../graph/build.js';
import type { CmdStage, NodeStage } from '../pipeline/stage.js';
import { DagUserError } from '../util/user-error.js';
import type { ResolvedArtifact } from './keyer.js';
import type { InputArtifact, MetricValue, ProgressUpdate } from './node-contract.js';
import { nodeModulePath } from './node-registry.js';
import type { Grant } from './resource-pool.js';
import { runCommand } from './run-command.js';
import { runNodeProcess } from './run-node-process.js';
import type { StageKey } from './stage-key.js';

export interface StageEventSinks {
  onLog: (stream: 'stdout' | 'stderr' | 'node', line: string) => void;
  onProgress: (update: ProgressUpdate) => void;
  onMetrics: (values: Record<string, MetricValue>) => void;
}

/** A running stage's process, so a cancelled run can stop or kill it. */
export interface RunningStage {
  stop(): void;
  kill(): void;
  pgid?: number | undefined;
}

export interface StageRunRequest {
  gs: GraphStage;
  key: StageKey;
  preimage: ActionResult['preimage'];
  labels: Record<string, string>;
  inputs: Record<string, ResolvedArtifact[]>;
  grant: Grant;
  resumeDir: string;
  env: NodeJS.ProcessEnv;
  runId: string;
  events: StageEventSinks;
  /** The run registers the stage's process (to stop it on Ctrl-C) and reads whether it was cancelled. */
  control: { track(r: RunningStage): void; untrack(): void; cancelled(): boolean };
}

export type StageRunOutcome =
  | { outputs: Record<string, StoredArtifact>; provenance: Record<string, string>;
      /** Set by runners that already recorded and pushed the whole result elsewhere (remote workers). */
      result?: ActionResult }
  | { error: string; user: boolean };

export interface StageRunner {
  run(req: StageRunRequest): Promise<StageRunOutcome>;
}

/** What a local run works in: a directory with the workspace files, and a blob store. */
export interface StageHost {
  /** The workspace: cmd stages run here; deps and cmd outs are files here. */
  dir: string;
  blobs: BlobStore;
  /** Scratch space on the blob store's filesystem (node outputs are written here, then stored). */
  tmp: string;
  /** Whether a producing stage is a cmd stage (its outs are workspace files) or a node (outputs stay in the store). */
  isCmdStage(stageId: string): boolean;
}

class UnusableInputError extends Error {}

export class LocalStageRunner implements StageRunner {
  constructor(private readonly host: StageHost) {}

  async run(req: StageRunRequest): Promise<StageRunOutcome> {
    const { stage } = req.gs;
    let materialized: Record<string, InputArtifact[]>;
    try {
      materialized = await this.materializeInputs(req.inputs);
    } catch (err) {
      if (!(err instanceof UnusableInputError)) throw err;
      return { error: err.message, user: false };
    }
    if (stage.kind === 'cmd') {
      const r = await this.runCmdStage(stage, req.gs, materialized, req);
      return 'error' in r ? { error: r.error, user: false } : { outputs: r.outputs, provenance: {} };
    }
    return this.runNodeStage(stage, materialized, req);
  }

  private async materializeInputs(inputs: Record<string, ResolvedArtifact[]>): Promise<Record<string, InputArtifact[]>> {
    const out: Record<string, InputArtifact[]> = {};
    for (const [name, list] of Object.entries(inputs)) {
      out[name] = [];
      for (const a of list) {
        const src = a.source;
        let path: string;
        if (src.kind === 'file') path = join(this.host.dir, src.path);
        else if (this.host.isCmdStage(src.stageId)) path = join(this.host.dir, src.output);
        else {
          try {
            path = await this.host.blobs.checkout(a);
          } catch (err) {
            // Fetched lazily from a remote, an upstream output can turn out corrupt only now.
            if (!(err instanceof CorruptBlobError)) throw err;
            throw new UnusableInputError(`input ${name} (${a.label}) is unusable: ${err.message}; recompute it with --force ${src.stageId}`);
          }
        }
        out[name].push({ path, digest: a.digest, producer: src.kind === 'file' ? `file:${src.path}` : src.stageId, output: src.kind === 'file' ? src.path : src.output });
      }
    }
    return out;
  }

  private async runCmdStage(stage: CmdStage, gs: GraphStage, inputs: Record<string, InputArtifact[]>, req: StageRunRequest): Promise<{ outputs: Record<string, StoredArtifact> } | { error: string }> {
    const dir = this.host.dir;
    const on = req.events;
    // Stale outputs must not pass for new ones if the command fails to write them.
    for (const out of gs.outputs) {
      rmSync(join(dir, out), { recursive: true, force: true });
      mkdirSync(dirname(join(dir, out)), { recursive: true });
    }
    const cmd = substituteInputs(stage.cmd, inputs);
    const handle = runCommand(cmd, { cwd: dir, env: req.env, events: { log: on.onLog, progress: on.onProgress, metrics: on.onMetrics } });
    req.control.track({ stop: () => handle.signal('SIGTERM'), kill: () => handle.signal('SIGKILL'), pgid: handle.pid });
    const { code, signal } = await handle.done;
    req.control.untrack();
    if (req.control.cancelled() && (signal || code !== 0)) return { error: 'stopped by the user' };
    if (signal) return { error: `command killed by ${signal}` };
    if (code !== 0) return { error: `command exited with code ${code}` };
    const outputs: Record<string, StoredArtifact> = {};
    for (const out of gs.outputs) {
      try {
        outputs[out] = await this.host.blobs.put(join(dir, out));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { error: `command succeeded but did not write out "${out}"` };
        throw err;
      }
    }
    return { outputs };
  }

  private async runNodeStage(stage: NodeStage, inputs: Record<string, InputArtifact[]>, req: StageRunRequest): Promise<StageRunOutcome> {
    const on = req.events;
    const outputRoot = join(this.host.tmp, `run-${req.runId}`, stage.id.replace(/[^A-Za-z0-9_.=,-]/g, '_'));
    const handle = runNodeProcess(
      { type: 'run', modulePath: nodeModulePath(stage.node)!, stageId: stage.id, params: stage.params, inputs, outputRoot, resumeDir: req.resumeDir, devices: { cpuSlots: req.grant.cpu, gpuIds: req.grant.gpuIds } },
      req.env,
      (e) => {
        if (e.type === 'log') on.onLog('node', e.line);
        else if (e.type === 'progress') on.onProgress(e.update);
        else on.onMetrics(e.values);
      },
      (line) => on.onLog('stderr', line),
    );
    req.control.track({ stop: () => handle.stop(), kill: () => handle.kill(), pgid: handle.pid });
    const outcome = await handle.done;
    req.control.untrack();
    const cancelled = req.control.cancelled();
    if (outcome.status === 'killed') return { error: cancelled ? 'stopped by the user' : outcome.message, user: false };
    if (outcome.status === 'error') {
      if (outcome.stack) on.onLog('stderr', outcome.stack);
      return { error: cancelled && /stopped|abort/i.test(outcome.message) ? 'stopped by the user' : outcome.message, user: outcome.user };
    }
    const outputs: Record<string, StoredArtifact> = {};
    for (const [name, dir] of Object.entries(outcome.result.outputs)) outputs[name] = await this.host.blobs.put(dir);
    rmSync(outputRoot, { recursive: true, force: true });
    return { outputs, provenance: outcome.result.provenance };
  }
}

/** The action entry of a stage that just ran (its log stored as a blob), wherever it ran. */
export function recordResult(
  blobs: BlobStore,
  run: { key: StageKey; stageId: string; preimage: ActionResult['preimage']; labels: Record<string, string>; durationMs: number },
  outcome: { outputs: Record<string, StoredArtifact>; provenance: Record<string, string> },
  metrics: Record<string, MetricValue>,
  logLines: string[],
): ActionResult {
  return {
    schema: 1, key: run.key, stageId: run.stageId, preimage: run.preimage, inputLabels: run.labels,
    outputs: outcome.outputs, metrics, durationMs: run.durationMs,
    createdAt: new Date().toISOString(),
    provenance: { host: hostname(), platform: platform(), node: process.version, ...outcome.provenance },
    // Most stages print nothing; an empty log is not worth a blob write per stage.
    ...(logLines.length ? { log: blobs.putBytes(logLines.join('\n')) } : {}),
  };
}

/** `${inputs.x}` in a cmd: the materialised paths (one argv entry each, or space-joined and quoted in a shell string). */
export function substituteInputs(cmd: string | string[], inputs: Record<string, InputArtifact[]>): string | string[] {
  const paths = (name: string): string[] => {
    const list = inputs[name];
    if (!list) throw new DagUserError(`cmd references \${inputs.${name}}, but the stage has no input "${name}"`);
    return list.map((a) => a.path);
  };
  const quote = (p: string) => `'${p.replace(/'/g, `'\\''`)}'`;
  if (typeof cmd === 'string') return cmd.replace(/\$\{inputs\.([A-Za-z0-9_-]+)\}/g, (_, n: string) => paths(n).map(quote).join(' '));
  return cmd.flatMap((arg) => {
    const whole = /^\$\{inputs\.([A-Za-z0-9_-]+)\}$/.exec(arg);
    if (whole) return paths(whole[1]!);
    return [arg.replace(/\$\{inputs\.([A-Za-z0-9_-]+)\}/g, (_, n: string) => paths(n).join(' '))];
  });
}
