import { availableParallelism } from 'node:os';
import { RemoteCache, resolveRemoteFlags, type RemoteFlags } from '../cache/remote/remote-cache.js';
import { Executor } from '../exec/executor.js';
import { detectGpus, parseGpuList } from '../exec/gpus.js';
import { isForced, type ForceSpec } from '../exec/plan.js';
import { openWorkspace, type Workspace } from '../exec/workspace.js';
import { chooseMode, createReporter } from '../ui/create-reporter.js';
import { DagUserError } from '../util/user-error.js';
import type { PipelineFlags } from './main.js';
import { formatPlan } from './status.js';

interface RunFlags extends PipelineFlags, RemoteFlags {
  force?: boolean | string[];
  target?: string[];
  downstream?: boolean;
  dryRun?: boolean;
  keepGoing?: boolean;
  jobs?: number;
  cpus?: number;
  gpus?: string;
  json?: boolean;
  plain?: boolean;
  verbose?: boolean;
  executor?: 'local' | 'bullmq';
  redis?: string;
}

export async function runCommand(file: string, flags: RunFlags, argv: string[]): Promise<number> {
  const ws = await openWorkspace(file, { cache: flags.cache, overrides: { set: flags.set, paramFiles: flags.params } });
  const distributed = flags.executor === 'bullmq';
  const cpus = flags.cpus || (distributed ? DISTRIBUTED_SLOTS : availableParallelism());
  let gpus: number[];
  try {
    gpus = flags.gpus !== undefined ? parseGpuList(flags.gpus) : distributed ? DISTRIBUTED_GPU_IDS : detectGpus().ids;
  } catch (err) {
    throw new DagUserError(`--gpus: ${(err as Error).message}`);
  }
  const remoteFlags = resolveRemoteFlags(flags);
  const remote = remoteFlags ? RemoteCache.open(remoteFlags, ws) : undefined;
  remote?.attachToLocalStore();
  const force: ForceSpec = flags.force === true ? true : Array.isArray(flags.force) ? new Set(flags.force) : false;
  const runner = distributed ? await openDistributedRunner(flags, remote, ws, force) : undefined;
  let executor: Executor | undefined;
  const mode = chooseMode({ json: flags.json, plain: flags.plain, isTTY: Boolean(process.stdout.isTTY), ci: Boolean(process.env.CI) });
  const reporter = await createReporter({
    mode,
    out: process.stdout,
    onStopRequest: (f) => executor?.cancel(f),
    verbose: flags.verbose,
  });
  executor = new Executor(ws, {
    targets: flags.target ?? [], downstream: Boolean(flags.downstream), force, dryRun: Boolean(flags.dryRun),
    keepGoing: Boolean(flags.keepGoing), jobs: flags.jobs || cpus, cpus, gpus, argv, graceMs: 10_000,
    onLockWait: (holder) => process.stderr.write(`waiting for the cache lock held by ${holder}\n`),
    remote,
    runner,
  }, (e) => {
    // A dry run is a plan, best shown as status shows it (with reasons), unless events were asked for.
    if (flags.dryRun && !flags.json) {
      if (e.type === 'run-started') process.stdout.write(formatPlan(e.stages) + '\n');
      return;
    }
    reporter.onEvent(e);
  });
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    // The live view shows the stop itself; a line on stderr would be drawn over it.
    if (interrupts === 1 && mode !== 'ink') process.stderr.write('\nstopping: no new stages; running stages get 10 s to exit (Ctrl-C again to kill them)\n');
    executor!.cancel(interrupts > 1);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const summary = await executor.run();
    if (summary.status === 'succeeded') return 0;
    if (summary.status === 'cancelled') return 130;
    return summary.failures.every((f) => f.user) ? 2 : 1;
  } finally {
    // Also when the run throws: the Ink view must unmount and give the terminal back.
    await reporter.close();
    await runner?.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * With --executor bullmq the workers own the machines: the coordinator admits every ready stage
 * (up to --jobs) and each worker's own pool decides when it runs and on which GPU.
 */
const DISTRIBUTED_SLOTS = 256;
const DISTRIBUTED_GPU_IDS = Array.from({ length: 64 }, (_, i) => i);

async function openDistributedRunner(flags: RunFlags, remote: RemoteCache | undefined, ws: Workspace, force: ForceSpec) {
  const redisUrl = flags.redis ?? process.env.DAG_REDIS;
  if (!redisUrl) throw new DagUserError('--executor bullmq needs --redis URL (or DAG_REDIS)');
  if (!remote) throw new DagUserError('--executor bullmq needs --remote URL (or DAG_REMOTE): stage inputs and outputs travel through the remote cache');
  const { BullMqStageRunner } = await import('../exec/distributed/bullmq-runner.js');
  const redisDownMs = Number(process.env.DAG_REDIS_DOWN_MS) || undefined;
  return new BullMqStageRunner({
    redisUrl, remote, ws,
    force: (stageId) => isForced(force, stageId, ws.graph.stages.get(stageId)!.stage.name),
    ...(redisDownMs ? { redisDownMs } : {}),
  });
}
