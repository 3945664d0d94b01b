/**
 * `dag worker`: takes stage jobs from the BullMQ queues of its resource classes, puts the stage's
 * input root (workspace files, upstream outputs) together from the remote cache in a temp
 * workspace, runs the stage with the local executor's runner, and pushes outputs and the action
 * entry to the remote cache. Events go back to the coordinator on the run's pub/sub channel.
 * A worker that dies mid-stage loses its job lock; after `lockMs` another worker's stall check puts
 * the job back in the queue.
 */
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { RemoteCache, type RemoteFlags } from '../../cache/remote/remote-cache.js';
import type { GraphStage } from '../../graph/build.js';
import type { Stage } from '../../pipeline/stage.js';
import type { ResolvedArtifact } from '../keyer.js';
import type { MetricValue } from '../node-contract.js';
import { nodeImplementationDigest, nodeModulePath } from '../node-registry.js';
import { ResourcePool, type Grant } from '../resource-pool.js';
import { Scheduler } from '../scheduler.js';
import { LocalStageRunner, recordResult, type RunningStage, type StageRunOutcome } from '../stage-runner.js';
import { openCache, type CacheHandles } from '../workspace.js';
import {
  eventChannel, queueName, redisConnection, STAGE_FAILURE, USER_FAILURE, type ResourceClass, type StageJob, type WorkerEvent,
} from './protocol.js';

export interface WorkerOptions {
  redisUrl: string;
  remote: RemoteFlags & { remote: string };
  cacheDir: string;
  cpus: number;
  gpus: number[];
  name?: string;
  /** Job lock lifetime: how soon a job of a dead worker is handed to another. */
  lockMs?: number;
  log(line: string): void;
}

export interface RunningWorker {
  name: string;
  close(): Promise<void>;
}

const LOG_LIMIT_LINES = 5000;

export async function startWorker(opts: WorkerOptions): Promise<RunningWorker> {
  const name = opts.name ?? `${hostname()}:${process.pid}`;
  const cache = openCache(opts.cacheDir);
  cache.layout.ensure();
  const remote = RemoteCache.open(opts.remote, cache);
  remote.attachToLocalStore();
  const scheduler = new Scheduler(new ResourcePool(opts.cpus, opts.gpus), Math.max(1, opts.cpus));
  const publisher = redisConnection(opts.redisUrl);
  publisher.on('error', () => {});
  const running = new Map<string, RunningStage>();
  let closing = false;
  const lockMs = opts.lockMs ?? 30_000;

  const process_ = async (job: Job<StageJob>) => {
    const d = job.data;
    const publish = (e: WorkerEvent) => void publisher.publish(eventChannel(d.runId), JSON.stringify(e)).catch(() => {});
    publish({ stageId: d.stageId, kind: 'started', worker: name, attempt: job.attemptsMade + 1 });
    opts.log(`${d.stageId}: started (key ${d.key.slice(0, 12)}, attempt ${job.attemptsMade + 1})`);
    if (!d.force) {
      const found = await remote.lookup(d.key);
      if (found.status === 'hit') {
        opts.log(`${d.stageId}: already in the remote cache`);
        return { key: d.key, reused: true };
      }
    }
    if (d.stage.kind === 'node') {
      const implementation = nodeModulePath(d.stage.node) ? nodeImplementationDigest(d.stage.node) : undefined;
      if (implementation !== d.preimage.implementation) {
        throw new UnrecoverableError(`${STAGE_FAILURE}worker ${name} has ${implementation ? 'a different implementation of' : 'no'} node ${d.stage.node} (install the same dag version and DAG_NODE_PATH on every worker)`);
      }
    }
    let outcome: { key: string; entry: string } | undefined;
    await scheduler.submit(d.stageId, d.stage.resources, 0, async (grant) => {
      outcome = await runJob(job, grant, publish);
    });
    if (!outcome) throw new Error(`worker ${name} is shutting down`);
    opts.log(`${d.stageId}: done (entry ${outcome.entry})`);
    return outcome;
  };

  const runJob = async (job: Job<StageJob>, grant: Grant, publish: (e: WorkerEvent) => void) => {
    const d = job.data;
    const t0 = Date.now();
    const dir = mkdtempSync(join(cache.layout.tmp, 'ws-'));
    try {
      for (const f of d.workspaceFiles) await cache.blobs.restore(f, join(dir, f.path));
      const resumeDir = cache.layout.resumeDir(d.key);
      mkdirSync(resumeDir, { recursive: true });
      const logLines: string[] = [];
      const metrics: Record<string, MetricValue> = {};
      const stage = { ...d.stage, inputs: {}, deps: [] } as unknown as Stage; // origin: only errors with YAML positions use it
      const gs: GraphStage = { stage, inputs: {}, deps: [], outputs: d.outputs, upstream: [], downstream: [] };
      const runner = new LocalStageRunner({ dir, blobs: cache.blobs, tmp: cache.layout.tmp, isCmdStage: (id) => d.cmdProducers.includes(id) });
      const r: StageRunOutcome = await runner.run({
        gs, key: d.key, preimage: d.preimage, labels: d.labels, inputs: d.inputs as Record<string, ResolvedArtifact[]>, grant, resumeDir, runId: d.runId,
        env: { ...process.env, CUDA_VISIBLE_DEVICES: grant.gpuIds.join(','), DAG_STAGE: d.stageId, DAG_RESUME_DIR: resumeDir },
        events: {
          onLog: (stream, line) => {
            if (logLines.length < LOG_LIMIT_LINES) logLines.push(stream === 'node' ? line : `[${stream}] ${line}`);
            publish({ stageId: d.stageId, kind: 'log', stream, line });
          },
          onProgress: (update) => publish({ stageId: d.stageId, kind: 'progress', update }),
          onMetrics: (values) => {
            Object.assign(metrics, values);
            publish({ stageId: d.stageId, kind: 'metrics', values });
          },
        },
        control: { track: (p) => running.set(String(job.id), p), untrack: () => running.delete(String(job.id)), cancelled: () => closing },
      });
      if ('error' in r) {
        const tail = logLines.filter((l) => l.startsWith('[stderr]')).slice(-5).map((l) => l.slice(9));
        const message = tail.length && !r.error.includes('\n') ? `${r.error}\n${tail.join('\n')}` : r.error;
        throw new UnrecoverableError(`${r.user ? USER_FAILURE : STAGE_FAILURE}${message}`);
      }
      const result = recordResult(cache.blobs, { key: d.key, stageId: d.stageId, preimage: d.preimage, labels: d.labels, durationMs: Date.now() - t0 },
        { outputs: r.outputs, provenance: { ...r.provenance, worker: name } }, metrics, logLines);
      cache.actions.put(result);
      const pushed = await remote.pushResult(result);
      rmSync(resumeDir, { recursive: true, force: true });
      return { key: d.key, entry: pushed.entry };
    } finally {
      rmSync(dir, { recursive: true, force: true });
      cache.stats.save();
    }
  };

  const classes: ResourceClass[] = opts.gpus.length ? ['cpu', 'gpu'] : ['cpu'];
  const connections: Redis[] = [publisher];
  const workers = classes.map((cls) => {
    const connection = redisConnection(opts.redisUrl);
    connections.push(connection);
    const w = new Worker<StageJob>(queueName(cls), process_, {
      connection,
      concurrency: cls === 'gpu' ? opts.gpus.length : Math.max(1, opts.cpus),
      lockDuration: lockMs,
      stalledInterval: lockMs,
      maxStalledCount: 2,
    });
    w.on('error', (err) => opts.log(`redis: ${err.message}`));
    w.on('failed', (job, err) => opts.log(`${job?.data.stageId ?? '?'}: failed: ${err.message.split('\n')[0]}`));
    return w;
  });
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  opts.log(`worker ${name} ready: queues ${classes.map(queueName).join(', ')}, cpus ${opts.cpus}, gpus ${opts.gpus.join(',') || 'none'}, remote ${remote.url}`);
  return {
    name,
    async close() {
      closing = true;
      for (const p of running.values()) p.stop();
      await Promise.allSettled(workers.map((w) => w.close()));
      for (const c of connections) c.disconnect();
    },
  };
}
