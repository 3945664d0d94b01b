/**
 * One measurement in its own process (so each backend starts clean):
 *   node dist/bench/train-throughput/worker.js BACKEND NETWORK BATCHES WARMUP [BATCH_SIZE] → one JSON line.
 */
import { initBackend, resolveBackendChoice } from '../../src/ml/backend.js';
import { BATCH, makeTrainer, NETWORKS, type NetworkName } from './workload.js';

export interface Measurement {
  network: string;
  backend: string;
  device: string;
  params: number;
  batches: number;
  batchSize: number;
  /** Wall-clock throughput: what a user waits for, inflated by whatever else runs on the machine. */
  imagesPerSecond: number;
  /** Throughput per second of this process's CPU time: steadier on a shared machine. */
  imagesPerCpuSecond: number;
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

const [backendArg, networkArg, batchesArg, warmupArg, batchSizeArg] = process.argv.slice(2);
const batchSize = Number(batchSizeArg ?? BATCH);
const network = networkArg as NetworkName;
if (!(network in NETWORKS)) throw new Error(`unknown network ${networkArg}`);
const active = await initBackend(resolveBackendChoice(backendArg, {}));
const trainer = makeTrainer(network, 1, batchSize);
for (let i = 0; i < Number(warmupArg ?? 1); i++) trainer.step();
const batches = Number(batchesArg ?? 5);
const wall0 = performance.now();
const cpu0 = cpuSeconds();
for (let i = 0; i < batches; i++) trainer.step();
const wall = (performance.now() - wall0) / 1000;
const cpu = cpuSeconds() - cpu0;
trainer.dispose();
const result: Measurement = {
  network,
  backend: active.name,
  device: active.device,
  params: trainer.params,
  batches,
  batchSize,
  imagesPerSecond: (batchSize * batches) / wall,
  imagesPerCpuSecond: (batchSize * batches) / cpu,
};
console.log(JSON.stringify(result));
