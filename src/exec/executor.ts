/**
 * Runs a pipeline: stages whose key is in the cache are restored, the rest run in worker processes
 * as soon as what they need is done and the machine has room. Everything that happens is emitted
 * as RunEvents; the run history and the stage index are updated as stages end.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ActionResult } from '../cache/action-cache.js';
import { CorruptBlobError } from '../cache/blob-store.js';
import { RemoteUnavailableError, type RemoteCache } from '../cache/remote/remote-cache.js';
import { at, selectStages, type GraphStage } from '../graph/build.js';
import { RunHistory, type RunRecord, type StageRecord } from '../state/history.js';
import { DagUserError } from '../util/user-error.js';
import type { RunEvent } from './events.js';
import { keyStage, type ResolvedArtifact } from './keyer.js';
import type { MetricValue, ProgressUpdate } from './node-contract.js';
import { explainMiss, isForced, planStages, staleOuts, type ForceSpec } from './plan.js';
import { ResourcePool, type Grant } from './resource-pool.js';
import { RunLock } from './run-lock.js';
import { Scheduler } from './scheduler.js';
import type { StageKey } from './stage-key.js';
import { LocalStageRunner, recordResult, type RunningStage, type StageRunner } from './stage-runner.js';
import type { Workspace } from './workspace.js';
import { stagePriorities } from './priorities.js';

export interface RunOptions {
  targets: string[];
  downstream: boolean;
  force: ForceSpec;
  dryRun: boolean;
  keepGoing: boolean;
  jobs: number;
  cpus: number;
  gpus: number[];
  argv: string[];
  /** How long stopped stages get to exit before they are killed. */
  graceMs: number;
  onLockWait?: (holder: string) => void;
  /** A shared cache: consulted when a key misses locally, and sent every result this run computes. */
  remote?: RemoteCache | undefined;
  /** Where stages that must run are executed (default: here, in worker processes of this machine). */
  runner?: StageRunner | undefined;
}

export interface RunSummary {
  runId: string;
  status: 'succeeded' | 'failed' | 'cancelled';
  counts: { ran: number; cached: number; failed: number; skipped: number };
  failures: { stageId: string; error: string; user: boolean }[];
}

type StageState = 'pending' | 'cached' | 'done' | 'failed' | 'skipped';


const LOG_LIMIT_LINES = 5000;
const PROGRESS_INTERVAL_MS = 100;

export class Executor {
  private readonly emitRaw: (e: RunEvent) => void;
  private runId = '';
  private cancelled = false;
  private halted = false;
  private readonly running = new Map<string, RunningStage>();
  private readonly states = new Map<string, StageState>();
  private readonly results = new Map<string, ActionResult>();
  private readonly failures: { stageId: string; error: string; user: boolean }[] = [];
  private record!: RunRecord;
  private history!: RunHistory;
  private lock: RunLock | undefined;
  private scheduler!: Scheduler;
  private killTimer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly pushes: Promise<void>[] = [];

  private readonly runner: StageRunner;

  constructor(private readonly ws: Workspace, private readonly opts: RunOptions, emit: (e: RunEvent) => void) {
    this.emitRaw = emit;
    this.runner = opts.runner ?? new LocalStageRunner({
      dir: ws.pipeline.dir, blobs: ws.blobs, tmp: ws.layout.tmp,
      isCmdStage: (stageId) => ws.graph.stages.get(stageId)!.stage.kind === 'cmd',
    });
  }

  private emit(e: RunEvent): void {
    this.emitRaw(e);
  }

  /** First call: no new stages, running ones are asked to stop. Second call (or force): kill now. */
  cancel(force: boolean): void {
    const again = this.cancelled;
    this.cancelled = true;
    this.emit({ type: 'run-cancelling', runId: this.runId, time: Date.now(), force: force || again });
    this.scheduler?.stopAdmitting();
    if (force || again) {
      for (const r of this.running.values()) r.kill();
      return;
    }
    for (const r of this.running.values()) r.stop();
    this.killTimer = setTimeout(() => {
      for (const r of this.running.values()) r.kill();
    }, this.opts.graceMs);
    this.killTimer.unref();
  }

  async run(): Promise<RunSummary> {
    const { ws, opts } = this;
    const selected = selectStages(ws.graph, opts.targets, opts.downstream);
    ws.layout.ensure();
    if (!opts.dryRun) {
      this.lock = new RunLock(ws.layout.lock);
      await this.lock.acquire(`dag ${opts.argv.join(' ')}`, opts.onLockWait ?? (() => {}));
    }
    const started = Date.now();
    try {
      this.history = new RunHistory(ws.layout.history);
      const plan = await planStages(ws, selected, opts.force);
      const blocked = plan.find((p) => p.state === 'blocked' && !p.reasons[0]!.startsWith('needs '));
      if (blocked && !opts.keepGoing) {
        const gs = ws.graph.stages.get(blocked.stageId)!;
        throw at(gs.stage, gs.stage.deps.length ? ['deps'] : ['inputs'], `stage "${blocked.stageId}" cannot run: ${blocked.reasons[0]}`);
      }
      if (opts.dryRun) {
        this.runId = 'dry-run';
        this.emit({ type: 'run-started', runId: this.runId, pipeline: ws.pipeline.source.displayPath, time: started, stages: plan, jobs: opts.jobs, cpus: opts.cpus, gpus: opts.gpus });
        const counts = { ran: 0, cached: plan.filter((p) => p.state === 'cached').length, failed: 0, skipped: 0 };
        this.emit({ type: 'run-finished', runId: this.runId, time: Date.now(), status: 'succeeded', durationMs: Date.now() - started, counts });
        return { runId: this.runId, status: 'succeeded', counts, failures: [] };
      }
      await this.history.reapDead();
      this.record = await this.history.begin(ws.pipelineId, opts.argv);
      this.runId = this.record.id;
      this.emit({ type: 'run-started', runId: this.runId, pipeline: ws.pipeline.source.displayPath, time: started, stages: plan, jobs: opts.jobs, cpus: opts.cpus, gpus: opts.gpus });
      this.scheduler = new Scheduler(new ResourcePool(opts.cpus, opts.gpus), opts.jobs);
      await this.execute(selected);
      await Promise.all(this.pushes);
    } finally {
      clearTimeout(this.killTimer);
      clearTimeout(this.flushTimer);
      ws.stats.save();
      ws.index.save();
      rmSync(join(ws.layout.tmp, `run-${this.runId}`), { recursive: true, force: true });
      this.lock?.release();
    }
    const counts = { ran: 0, cached: 0, failed: 0, skipped: 0 };
    for (const s of this.states.values()) {
      if (s === 'done') counts.ran++;
      else if (s === 'cached') counts.cached++;
      else if (s === 'failed') counts.failed++;
      else if (s === 'skipped') counts.skipped++;
    }
    const status = this.cancelled ? 'cancelled' : counts.failed > 0 ? 'failed' : 'succeeded';
    this.record.status = status;
    this.record.finishedAt = new Date().toISOString();
    await this.history.flush();
    this.emit({ type: 'run-finished', runId: this.runId, time: Date.now(), status, durationMs: Date.now() - started, counts });
    return { runId: this.runId, status, counts, failures: this.failures };
  }

  private async execute(selected: Set<string>): Promise<void> {
    const { graph } = this.ws;
    const priority = stagePriorities(graph);
    const remaining = new Map<string, number>();
    for (const id of selected) remaining.set(id, graph.stages.get(id)!.upstream.filter((u) => selected.has(u)).length);
    let outstanding = selected.size;
    let finishAll!: () => void;
    const allDone = new Promise<void>((r) => (finishAll = r));
    if (outstanding === 0) finishAll();
    const start = (id: string): void => {
      this.states.set(id, 'pending');
      void this.processStage(id, priority.get(id) ?? 0)
        .catch((err: unknown) => this.fail(id, err instanceof Error ? (err instanceof DagUserError ? err.format() : err.stack ?? err.message) : String(err), 0))
        .finally(() => {
          for (const d of graph.stages.get(id)!.downstream) {
            if (!selected.has(d)) continue;
            const n = remaining.get(d)! - 1;
            remaining.set(d, n);
            if (n === 0) start(d);
          }
          if (--outstanding === 0) finishAll();
        });
    };
    for (const id of graph.order) if (selected.has(id) && remaining.get(id) === 0) start(id);
    await allDone;
  }

  private async processStage(id: string, priority: number): Promise<void> {
    const gs = this.ws.graph.stages.get(id)!;
    const badUpstream = gs.upstream.find((u) => this.states.get(u) === 'failed' || this.states.get(u) === 'skipped');
    if (badUpstream) return this.skip(id, `needs ${badUpstream}, which ${this.states.get(badUpstream) === 'failed' ? 'failed' : 'did not run'}`);
    if (this.cancelled) return this.skip(id, 'run cancelled');
    if (this.halted) return this.skip(id, 'run stopped after a failure (use --keep-going to continue past failures)');
    const keyed = await keyStage(this.ws, gs, (stageId, output) => this.results.get(stageId)?.outputs[output]);
    if (keyed.status === 'blocked') return this.fail(id, keyed.reason, 0, [], true);
    if (keyed.status === 'waiting') throw new Error(`internal: ${id} keyed before ${keyed.on} finished`);
    let reasons: string[] = ['forced'];
    if (!isForced(this.opts.force, id, gs.stage.name)) {
      const cached = await this.tryCache(gs, keyed.key);
      if (cached === true) return;
      reasons = cached ?? explainMiss(this.ws, id, keyed.preimage, keyed.labels).reasons;
    }
    this.emit({ type: 'stage-queued', runId: this.runId, stageId: id, time: Date.now() });
    let started = false;
    try {
      await this.scheduler.submit(id, gs.stage.resources, priority, async (grant) => {
        started = true;
        await this.runStage(gs, keyed.key, keyed.preimage, keyed.labels, keyed.inputs, reasons, grant);
      });
    } catch (err) {
      if (err instanceof Error && /GPU/.test(err.message) && !started) return this.fail(id, err.message, 0, [], true);
      throw err;
    }
    if (!started) this.skip(id, this.cancelled ? 'run cancelled' : 'not started');
  }

  /** true: served from the cache. A string list: why the entry could not be used. undefined: a miss. */
  private async tryCache(gs: GraphStage, key: StageKey): Promise<true | string[] | undefined> {
    const id = gs.stage.id;
    let hit = this.ws.actions.get(key);
    if (hit.status === 'miss' && this.opts.remote) {
      const remote = await this.lookupRemote(id, key);
      if (Array.isArray(remote)) return remote;
      if (remote) {
        this.ws.actions.put(remote);
        hit = { status: 'hit', result: remote };
      }
    }
    if (hit.status === 'miss') return undefined;
    if (hit.status === 'corrupt') {
      this.log(id, 'node', `cache entry ${key.slice(0, 12)} is corrupt (${hit.reason}); recomputing`);
      this.ws.actions.delete(key);
      return [`cache entry corrupt (${hit.reason})`];
    }
    const result = hit.result;
    try {
      for (const out of Object.values(result.outputs)) {
        // With a remote, a blob not here yet is fetched (and checked) only when something reads it.
        if (this.opts.remote && !this.ws.blobs.has(out.digest)) continue;
        await this.ws.blobs.verify(out);
      }
      if (gs.stage.kind === 'cmd') {
        for (const out of await staleOuts(this.ws, result)) {
          await this.ws.blobs.restore(result.outputs[out]!, join(this.ws.pipeline.dir, out));
        }
      }
    } catch (err) {
      if (!(err instanceof CorruptBlobError)) throw err;
      this.log(id, 'node', `${err.message}; evicted it and recomputing ${id}`);
      this.ws.blobs.evict(err.digest);
      this.ws.actions.delete(key);
      return [err.message];
    }
    this.states.set(id, 'cached');
    this.results.set(id, result);
    this.ws.index.set(id, key);
    this.emit({ type: 'stage-cached', runId: this.runId, stageId: id, time: Date.now(), key, savedMs: result.durationMs, metrics: result.metrics });
    this.addRecord({ stageId: id, key, outcome: 'cached', durationMs: 0, savedMs: result.durationMs, metrics: result.metrics, outputs: result.outputs });
    return true;
  }

  /** A remote result for the key; reasons when the remote's entry was refused; undefined for a miss. */
  private async lookupRemote(id: string, key: StageKey): Promise<ActionResult | string[] | undefined> {
    const remote = this.opts.remote!;
    try {
      const found = await remote.lookup(key);
      if (found.status === 'miss') return undefined;
      if (found.status === 'rejected') {
        this.log(id, 'node', `${found.reason}; recomputing ${id}`);
        return [found.reason];
      }
      this.log(id, 'node', `cache hit on the remote ${remote.url}${found.signedBy ? ` (signed by ${found.signedBy})` : ''}`);
      return found.result;
    } catch (err) {
      if (!(err instanceof RemoteUnavailableError)) throw err;
      this.log(id, 'node', `${err.message}; treating it as a miss`);
      return undefined;
    }
  }

  /** Sends a fresh result to the remote in the background; the run waits for it before it ends. */
  private pushToRemote(id: string, result: ActionResult): void {
    const remote = this.opts.remote;
    if (!remote) return;
    this.pushes.push(remote.pushResult(result).then(
      (r) => this.log(id, 'node', `pushed to ${remote.url}: ${r.blobsUploaded} blobs uploaded (${r.bytesUploaded} bytes), entry ${r.entry === 'written' ? 'written' : 'already there'}`),
      (err: unknown) => this.log(id, 'stderr', `push to ${remote.url} failed: ${(err as Error).message}`),
    ));
  }

  private async runStage(gs: GraphStage, key: StageKey, preimage: ActionResult['preimage'], labels: Record<string, string>, inputs: Record<string, ResolvedArtifact[]>, reasons: string[], grant: Grant): Promise<void> {
    const { stage } = gs;
    const id = stage.id;
    const t0 = Date.now();
    const resumeDir = this.ws.layout.resumeDir(key);
    mkdirSync(resumeDir, { recursive: true });
    const logLines: string[] = [];
    const metrics: Record<string, MetricValue> = {};
    const onLog = (stream: 'stdout' | 'stderr' | 'node', line: string) => {
      if (logLines.length < LOG_LIMIT_LINES) logLines.push(stream === 'node' ? line : `[${stream}] ${line}`);
      this.emit({ type: 'stage-log', runId: this.runId, stageId: id, time: Date.now(), stream, line });
    };
    let lastProgress = 0;
    const onProgress = (update: ProgressUpdate) => {
      const now = Date.now();
      if (now - lastProgress < PROGRESS_INTERVAL_MS && update.step < update.total) return;
      lastProgress = now;
      this.emit({ type: 'stage-progress', runId: this.runId, stageId: id, time: now, progress: update });
    };
    const onMetrics = (values: Record<string, MetricValue>) => {
      Object.assign(metrics, values);
      this.emit({ type: 'stage-metrics', runId: this.runId, stageId: id, time: Date.now(), metrics: values });
    };
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      // An empty list hides every GPU from a stage that was granted none.
      CUDA_VISIBLE_DEVICES: grant.gpuIds.join(','),
      DAG_STAGE: id,
      DAG_RESUME_DIR: resumeDir,
      // Downloads (e.g. ranges of Google's Quick, Draw! files) are kept in the cache directory,
      // keyed by URL and range, so every stage and run shares them and gc can reclaim them.
      DAG_DOWNLOAD_CACHE: process.env.DAG_DOWNLOAD_CACHE ?? this.ws.layout.downloads,
    };
    this.emit({ type: 'stage-started', runId: this.runId, stageId: id, time: t0, key, cpuSlots: grant.cpu, gpuIds: grant.gpuIds });
    const outcome = await this.runner.run({
      gs, key, preimage, labels, inputs, grant, resumeDir, env, runId: this.runId,
      events: { onLog, onProgress, onMetrics },
      control: { track: (r) => this.track(id, r), untrack: () => this.untrack(id), cancelled: () => this.cancelled },
    });
    if ('error' in outcome) return this.fail(id, outcome.error, Date.now() - t0, logLines, outcome.user);
    const durationMs = Date.now() - t0;
    // A remote worker has already recorded (and pushed) the result; a local run records it here.
    const result = outcome.result ?? recordResult(this.ws.blobs, { key, stageId: id, preimage, labels, durationMs }, outcome, metrics, logLines);
    this.ws.actions.put(result);
    if (!outcome.result) this.pushToRemote(id, result);
    this.ws.index.set(id, key);
    rmSync(resumeDir, { recursive: true, force: true });
    this.results.set(id, result);
    this.states.set(id, 'done');
    this.emit({ type: 'stage-finished', runId: this.runId, stageId: id, time: Date.now(), key, durationMs, metrics: result.metrics });
    this.addRecord({ stageId: id, key, outcome: 'ran', durationMs, metrics: result.metrics, reasons, outputs: result.outputs });
  }

  private track(id: string, r: RunningStage): void {
    this.running.set(id, r);
    if (r.pgid !== undefined) this.lock?.childStarted(r.pgid);
    if (this.cancelled) r.stop();
  }

  private untrack(id: string): void {
    const r = this.running.get(id);
    this.running.delete(id);
    if (r?.pgid !== undefined) this.lock?.childEnded(r.pgid);
  }

  private log(stageId: string, stream: 'stdout' | 'stderr' | 'node', line: string): void {
    this.emit({ type: 'stage-log', runId: this.runId, stageId, time: Date.now(), stream, line });
  }

  /** `user`: the failure is the input's fault (missing file, bad data), not the command's or a bug. */
  private fail(id: string, error: string, durationMs: number, logLines: string[] = [], user = false): void {
    this.states.set(id, 'failed');
    this.failures.push({ stageId: id, error, user });
    if (!this.opts.keepGoing) this.halted = true;
    const tail = logLines.filter((l) => l.startsWith('[stderr]')).slice(-5).map((l) => l.slice(9));
    const message = tail.length && !error.includes('\n') ? `${error}\n${tail.join('\n')}` : error;
    this.emit({ type: 'stage-failed', runId: this.runId, stageId: id, time: Date.now(), durationMs, error: message, ...(this.cancelled && error === 'stopped by the user' ? { cancelled: true } : {}) });
    this.addRecord({ stageId: id, outcome: 'failed', durationMs, metrics: {}, error: message });
  }

  private skip(id: string, reason: string): void {
    this.states.set(id, 'skipped');
    this.emit({ type: 'stage-skipped', runId: this.runId, stageId: id, time: Date.now(), reason });
    this.addRecord({ stageId: id, outcome: 'skipped', durationMs: 0, metrics: {}, error: reason });
  }

  private addRecord(r: StageRecord): void {
    this.record.stages.push(r);
    // Flushed at most every 2 s: a history write per stage would dominate runs of tiny stages.
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      void this.history.flush();
    }, 2000);
  }
}

export { substituteInputs } from './stage-runner.js';
