/**
 * Where a training step's time goes, per TensorFlow.js kernel: wraps every kernel of the active
 * backend with a timer and trains a few batches.
 *
 *   node dist/bench/train-throughput/profile-kernels.js [network=mobile2] [batches=5] [backend=wasm] [--shapes]
 *
 * --shapes splits each kernel's time by the shapes of its inputs (which convolution is slow).
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, resolveBackendChoice } from '../../src/ml/backend.js';
import { BATCH, makeTrainer, NETWORKS, type NetworkName } from './workload.js';

/** CPU time rather than wall time: the machine is shared and wall time swings with its load. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

interface KernelTime {
  calls: number;
  ms: number;
}

function instrument(backendName: string, byShape: boolean): Map<string, KernelTime> {
  const times = new Map<string, KernelTime>();
  const entryFor = (key: string): KernelTime => {
    let entry = times.get(key);
    if (!entry) times.set(key, (entry = { calls: 0, ms: 0 }));
    return entry;
  };
  for (const config of tf.getKernelsForBackend(backendName)) {
    const inner = config.kernelFunc;
    tf.unregisterKernel(config.kernelName, backendName);
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        const key = byShape
          ? `${config.kernelName} ${Object.values(args.inputs).map((t) => `[${t?.shape.join(',')}]`).join(' ')}`
          : config.kernelName;
        const t0 = cpuMs();
        const out = inner(args);
        const entry = entryFor(key);
        entry.ms += cpuMs() - t0;
        entry.calls++;
        return out;
      },
    });
  }
  return times;
}

const byShape = process.argv.includes('--shapes');
const [networkArg, batchesArg, backendArg] = process.argv.slice(2).filter((a) => a !== '--shapes');
const network = (networkArg ?? 'mobile2') as NetworkName;
const batches = Number(batchesArg ?? 5);
if (!(network in NETWORKS)) throw new Error(`unknown network ${network}`);
const active = await initBackend(resolveBackendChoice(backendArg ?? 'wasm'));
const times = instrument(active.name, byShape);
const trainer = makeTrainer(network);
trainer.step(); // warm-up: operator creation, memory growth
for (const t of times.values()) Object.assign(t, { calls: 0, ms: 0 });
const t0 = performance.now();
const c0 = cpuMs();
for (let i = 0; i < batches; i++) trainer.step();
const wall = performance.now() - t0;
const cpu = cpuMs() - c0;
trainer.dispose();

const rows = [...times.entries()].filter(([, t]) => t.calls > 0).sort((a, b) => b[1].ms - a[1].ms);
const kernelMs = rows.reduce((s, [, t]) => s + t.ms, 0);
console.log(`${network} on ${active.name}: ${((batches * BATCH) / (wall / 1000)).toFixed(1)} images/s wall, ` +
  `${((batches * BATCH) / (cpu / 1000)).toFixed(1)} images/s of CPU time; per batch: ${(cpu / batches).toFixed(0)} ms CPU, ` +
  `of which kernels ${(kernelMs / batches).toFixed(0)} ms`);
for (const [name, t] of rows.slice(0, byShape ? 60 : 25)) {
  console.log(`${name.padEnd(byShape ? 72 : 36)} ${(t.ms / batches).toFixed(1).padStart(8)} ms CPU/batch ${String(t.calls / batches).padStart(6)} calls  ${((100 * t.ms) / kernelMs).toFixed(1).padStart(5)}%`);
}
