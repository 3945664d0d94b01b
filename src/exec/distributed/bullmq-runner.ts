/**
 * The coordinator's side of distributed execution: instead of running a stage here, it puts the
 * stage's inputs in the remote cache, queues a BullMQ job on the stage's resource class, relays the
 * events a worker streams back to the run's reporters, and takes the worker's action entry from the
 * remote cache (checked like any remote entry). The DAG, keys and run history stay here.
 *
 * Redis may restart under a run: the job is then gone, so the coordinator looks for the result in
 * the remote cache and queues the stage again if it is not there. If Redis stays unreachable for
 * longer than `redisDownMs`, the stage fails with a message saying so.
 */
import { Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { join } from 'node:path';
import type { RemoteCache } from '../../cache/remote/remote-cache.js';
import type { Workspace } from '../workspace.js';
import type { StageEventSinks, StageRunner, StageRunOutcome, StageRunRequest } from '../stage-runner.js';
import {
  displayRedisUrl, eventChannel, queueName, redisConnection, resourceClassOf, STAGE_FAILURE, USER_FAILURE,
  type ResourceClass, type StageJob, type StageSpec, type WorkerEvent, type WorkspaceFile,
} from './protocol.js';

export interface BullMqRunnerOptions {
  redisUrl: string;
  remote: RemoteCache;
  ws: Workspace;
  force: (stageId: string) => boolean;
  /** Attempts per stage when a worker dies or the machinery fails (a failing command is not retried). */
  attempts?: number;
  backoffMs?: number;
  /** How long Redis may stay unreachable before the stages waiting on it fail. */
  redisDownMs?: number;
  pollMs?: number;
}

export class BullMqStageRunner implements StageRunner {
  private readonly connection: Redis;
  private readonly subscriber: Redis;
  private readonly queues = new Map<ResourceClass, Queue<StageJob>>();
  private readonly sinks = new Map<string, StageEventSinks>();
  private readonly subscribed = new Set<string>();
  private downSince: number | undefined;
  private closed = false;

  constructor(private readonly opts: BullMqRunnerOptions) {
    this.connection = redisConnection(opts.redisUrl);
    this.subscriber = redisConnection(opts.redisUrl);
    // ioredis reconnects by itself; the runner only needs to know for how long it has been down.
    const onDown = () => (this.downSince ??= Date.now());
    this.connection.on('error', onDown);
    this.connection.on('close', onDown);
    this.connection.on('ready', () => (this.downSince = undefined));
    this.subscriber.on('error', () => {});
    this.subscriber.on('message', (_channel: string, text: string) => this.relay(text));
  }

  private queue(cls: ResourceClass): Queue<StageJob> {
    let q = this.queues.get(cls);
    if (!q) {
      q = new Queue<StageJob>(queueName(cls), { connection: this.connection });
      q.on('error', () => {});
      this.queues.set(cls, q);
    }
    return q;
  }

  private relay(text: string): void {
    let e: WorkerEvent;
    try {
      e = JSON.parse(text) as WorkerEvent;
    } catch {
      return;
    }
    const sink = this.sinks.get(e.stageId);
    if (!sink) return;
    if (e.kind === 'log') sink.onLog(e.stream, e.line);
    else if (e.kind === 'progress') sink.onProgress(e.update);
    else if (e.kind === 'metrics') sink.onMetrics(e.values);
    else sink.onLog('node', `running on worker ${e.worker}${e.attempt > 1 ? ` (attempt ${e.attempt})` : ''}`);
  }

  async run(req: StageRunRequest): Promise<StageRunOutcome> {
    try {
      return await this.runRemotely(req);
    } catch (err) {
      if (err instanceof RedisDownError) return { error: err.message, user: false };
      throw err;
    }
  }

  private async runRemotely(req: StageRunRequest): Promise<StageRunOutcome> {
    const { gs } = req;
    const id = gs.stage.id;
    const remote = this.opts.remote;
    if (!this.subscribed.has(req.runId)) {
      await this.withRedis(() => this.subscriber.subscribe(eventChannel(req.runId)));
      this.subscribed.add(req.runId);
    }
    const job = await this.describe(req);
    const cls = resourceClassOf(gs.stage.resources);
    const jobId = `${req.runId}.${req.key.slice(0, 24)}`;
    let stopped = false;
    req.control.track({ stop: () => (stopped = true), kill: () => (stopped = true) });
    this.sinks.set(id, req.events);
    try {
      await this.enqueue(cls, jobId, job);
      if ((await this.withRedis(() => this.queue(cls).getWorkersCount())) === 0) {
        req.events.onLog('node', `no dag worker serves ${queueName(cls)} yet; ${id} waits in the queue until one does`);
      }
      const pollMs = this.opts.pollMs ?? 200;
      for (;;) {
        if (stopped) return { error: 'stopped by the user (the stage may still finish on its worker)', user: false };
        const state = await this.jobState(cls, jobId);
        if (state.status === 'completed') break;
        if (state.status === 'failed') return state.error;
        if (state.status === 'gone') {
          // Redis lost the job (restarted without persistence): the worker may have finished anyway.
          const found = await remote.lookup(req.key);
          if (found.status === 'hit') break;
          req.events.onLog('node', `the job for ${id} vanished from Redis (restarted?); queueing it again`);
          await this.enqueue(cls, jobId, job);
        }
        await new Promise((r) => setTimeout(r, pollMs));
      }
    } finally {
      this.sinks.delete(id);
      req.control.untrack();
    }
    const found = await remote.lookup(req.key);
    if (found.status !== 'hit') {
      const why = found.status === 'miss' ? 'it is not in the remote cache' : found.reason;
      return { error: `a worker finished ${id}, but its result cannot be used: ${why}`, user: false };
    }
    const result = found.result;
    // cmd outs are workspace files, here as after a local run (fetched from the remote, verified).
    if (gs.stage.kind === 'cmd') {
      for (const [out, artifact] of Object.entries(result.outputs)) await this.opts.ws.blobs.restore(artifact, join(this.opts.ws.pipeline.dir, out));
    }
    return { outputs: result.outputs, provenance: result.provenance, result };
  }

  /** The job for a stage; its workspace files and inputs are made available in the remote cache first. */
  private async describe(req: StageRunRequest): Promise<StageJob> {
    const { gs, inputs } = req;
    const { stage } = gs;
    const ws = this.opts.ws;
    const remote = this.opts.remote;
    const counts = { blobsUploaded: 0, blobsPresent: 0, bytesUploaded: 0 };
    const workspaceFiles: WorkspaceFile[] = [];
    const place = async (path: string, expected?: string) => {
      const artifact = await ws.blobs.put(join(ws.pipeline.dir, path));
      if (expected && artifact.digest !== expected) throw new Error(`${path} changed while ${stage.id} was being queued`);
      await remote.pushArtifact(artifact, counts);
      workspaceFiles.push({ path, type: artifact.type, digest: artifact.digest, size: artifact.size });
    };
    for (const dep of gs.deps) await place(dep.path, req.preimage.deps[dep.path]);
    const cmdProducers = new Set<string>();
    const jobInputs: StageJob['inputs'] = {};
    for (const [name, list] of Object.entries(inputs)) {
      jobInputs[name] = [];
      for (const a of list) {
        const src = a.source;
        if (src.kind === 'file') await place(src.path, a.digest);
        else if (ws.graph.stages.get(src.stageId)!.stage.kind === 'cmd') {
          cmdProducers.add(src.stageId);
          await place(src.output, a.digest);
        } else await remote.pushArtifact(a, counts);
        jobInputs[name].push({ type: a.type, digest: a.digest, size: a.size, source: src, label: a.label });
      }
    }
    if (counts.blobsUploaded) req.events.onLog('node', `uploaded ${counts.blobsUploaded} input blobs (${counts.bytesUploaded} bytes) to ${remote.url}`);
    const spec: StageSpec = stage.kind === 'cmd'
      ? { kind: 'cmd', id: stage.id, name: stage.name, cmd: stage.cmd, outs: stage.outs, params: stage.params, resources: stage.resources }
      : { kind: 'node', id: stage.id, name: stage.name, node: stage.node, params: stage.params, resources: stage.resources };
    return {
      runId: req.runId, stageId: stage.id, key: req.key, preimage: req.preimage, labels: req.labels, stage: spec,
      outputs: gs.outputs, workspaceFiles, inputs: jobInputs, cmdProducers: [...cmdProducers], force: this.opts.force(stage.id),
    };
  }

  private async enqueue(cls: ResourceClass, jobId: string, job: StageJob): Promise<void> {
    await this.withRedis(() => this.queue(cls).add(job.stageId, job, {
      jobId,
      attempts: this.opts.attempts ?? 3,
      backoff: { type: 'exponential', delay: this.opts.backoffMs ?? 1000 },
      removeOnComplete: { age: 3600 },
      removeOnFail: { age: 24 * 3600 },
    }));
  }

  private async jobState(cls: ResourceClass, jobId: string): Promise<{ status: 'waiting' | 'completed' | 'gone' } | { status: 'failed'; error: { error: string; user: boolean } }> {
    const job: Job<StageJob> | undefined = await this.withRedis(() => this.queue(cls).getJob(jobId));
    if (!job) return { status: 'gone' };
    const state = await this.withRedis(() => job.getState());
    if (state === 'completed') return { status: 'completed' };
    if (state === 'failed') {
      const reason = job.failedReason ?? 'failed';
      if (reason.startsWith(USER_FAILURE)) return { status: 'failed', error: { error: reason.slice(USER_FAILURE.length), user: true } };
      if (reason.startsWith(STAGE_FAILURE)) return { status: 'failed', error: { error: reason.slice(STAGE_FAILURE.length), user: false } };
      return { status: 'failed', error: { error: `failed on the workers after ${job.attemptsMade} attempts: ${reason}`, user: false } };
    }
    return { status: 'waiting' };
  }

  /** A Redis call that waits through a reconnect, but not forever. */
  private async withRedis<T>(call: () => Promise<T>): Promise<T> {
    const limit = this.opts.redisDownMs ?? 60_000;
    for (;;) {
      if (this.downSince !== undefined && Date.now() - this.downSince > limit) {
        throw new RedisDownError(`lost the connection to Redis at ${displayRedisUrl(this.opts.redisUrl)} for more than ${Math.round(limit / 1000)} s`);
      }
      if (this.connection.status === 'ready') {
        try {
          return await withTimeout(call(), 5000);
        } catch (err) {
          if (this.connection.status === 'ready' && !(err instanceof CallTimeout)) throw err;
        }
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    this.subscriber.disconnect();
    this.connection.disconnect();
  }
}

export class RedisDownError extends Error {
  override name = 'RedisDownError';
}

class CallTimeout extends Error {}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new CallTimeout('timed out')), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e: unknown) => { clearTimeout(t); reject(e); });
  });
}
