/** `dag worker --redis URL --remote URL [--gpus 0,1] [--cpus N]`: runs stages queued by `dag run --executor bullmq`. */
import { availableParallelism, homedir } from 'node:os';
import { join } from 'node:path';
import { resolveRemoteFlags, type RemoteFlags } from '../cache/remote/remote-cache.js';
import { startWorker } from '../exec/distributed/worker.js';
import { detectGpus, parseGpuList } from '../exec/gpus.js';
import { DagUserError } from '../util/user-error.js';

interface WorkerFlags extends RemoteFlags {
  redis?: string;
  cpus?: number;
  gpus?: string;
  cache?: string;
  name?: string;
  lockMs?: number;
}

export async function workerCommand(flags: WorkerFlags): Promise<number> {
  const redisUrl = flags.redis ?? process.env.DAG_REDIS;
  if (!redisUrl) throw new DagUserError('dag worker needs --redis URL (or DAG_REDIS)');
  const remote = resolveRemoteFlags(flags);
  if (!remote) throw new DagUserError('dag worker needs --remote URL (or DAG_REMOTE): inputs and outputs travel through the remote cache');
  let gpus: number[];
  try {
    gpus = flags.gpus !== undefined ? parseGpuList(flags.gpus) : detectGpus().ids;
  } catch (err) {
    throw new DagUserError(`--gpus: ${(err as Error).message}`);
  }
  const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  const worker = await startWorker({
    redisUrl, remote, gpus, log,
    cpus: flags.cpus || availableParallelism(),
    cacheDir: flags.cache ?? process.env.DAG_CACHE ?? join(homedir(), '.cache', 'dag-worker'),
    ...(flags.name ? { name: flags.name } : {}),
    ...(flags.lockMs ? { lockMs: flags.lockMs } : {}),
  });
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = () => {
      if (stopping) process.exit(130);
      stopping = true;
      log('stopping: finishing running stages (again to quit now)');
      void worker.close().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}
