/**
 * Training throughput of mobile2, the ResNet and the base CNN on every TensorFlow.js backend this
 * machine has and in PyTorch (one thread), in one run; then two wasm trainings in parallel.
 *
 *   npm run build && node dist/bench/train-throughput/run.js [batches=6] [repeats=3]
 *
 * Then, for the targets, `repeats` rounds of: mobile2 on wasm, mobile2 in PyTorch, two
 * wasm mobile2 trainings in parallel — back to back, so each ratio compares runs under the same
 * load; the report gives every round and the medians.
 * Writes bench/results/train-throughput.{json,md}. Installs Debian's python3-torch if
 * /usr/bin/python3 cannot import torch (needs root and apt). Each measurement runs in its own
 * process; the cpu backend trains only the base CNN, for one batch of 8 (it takes minutes per
 * batch of 128).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeBackends } from '../../src/ml/backend.js';
import { renderMarkdown, type BenchReport, type Mobile2Round } from './render.js';
import type { Measurement } from './worker.js';
import { BATCH, CLASSES, NETWORKS, type NetworkName } from './workload.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..', '..');
const workerJs = join(here, 'worker.js');
const torchScript = join(repoRoot, 'bench', 'train-throughput', 'torch_bench.py');
const PYTHON = '/usr/bin/python3';
const batches = Number(process.argv[2] ?? 6);
const repeats = Number(process.argv[3] ?? 3);
const networks = Object.keys(NETWORKS) as NetworkName[];

function runJson(command: string, args: string[]): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line) as Measurement);
      else reject(new Error(`${command} ${args.join(' ')} failed (${code}): ${err.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}

const tfjs = (backend: string, network: string, n: number, warmup: number, batchSize = BATCH) =>
  runJson(process.execPath, [workerJs, backend, network, String(n), String(warmup), String(batchSize)]);

/** The cpu backend needs minutes per batch of 128; its per-image cost does not depend on the batch. */
const CPU_BATCH = 8;

function ensureTorch(): string | undefined {
  const probe = () => spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  let r = probe();
  if (r.status !== 0) {
    console.log('installing python3-torch (apt-get) ...');
    spawnSync('apt-get', ['install', '-y', 'python3-torch'], { stdio: 'ignore' });
    r = probe();
  }
  return r.status === 0 ? r.stdout.trim() : undefined;
}

const results: Measurement[] = [];
function report(m: Measurement) {
  results.push(m);
  console.log(`${m.network.padEnd(8)} ${m.backend.padEnd(10)} ${m.imagesPerSecond.toFixed(1).padStart(8)} images/s  ` +
    `${m.imagesPerCpuSecond.toFixed(1).padStart(8)} images/CPU-s  (${m.batches} batches of ${m.batchSize ?? BATCH}, ${m.params} params, ${m.device})`);
}

const started = new Date().toISOString();
const loadavg = () => spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).stdout.trim();
const loadavgAtStart = loadavg();
const backends = (await describeBackends()).candidates;
const tensorflowAvailable = backends.some((c) => c.name.startsWith('tfjs-node') && c.ok);
console.log(`batch ${BATCH}, 28x28x1, ${CLASSES} classes, Adam; ${cpus().length} cores`);
for (const c of backends) console.log(`  ${c.name}: ${c.ok ? 'available' : 'unavailable'} (${c.why})`);

for (const network of networks) {
  if (tensorflowAvailable) report(await tfjs('tensorflow', network, batches, 1));
  report(await tfjs('wasm', network, batches, 1));
}
report(await tfjs('cpu', 'cnn', 1, 0, CPU_BATCH));

const torchVersion = ensureTorch();
if (torchVersion) {
  for (const network of networks) report(await runJson(PYTHON, [torchScript, network, String(batches), '1']));
} else {
  console.log('PyTorch unavailable: skipped');
}

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

// The targets, measured in rounds: one wasm mobile2, its PyTorch twin, then two wasm stages side
// by side as the scheduler runs them on a 2-core machine.
const rounds: Mobile2Round[] = [];
for (let r = 0; r < repeats; r++) {
  const wasm = await tfjs('wasm', 'mobile2', batches, 1);
  const torch = torchVersion ? await runJson(PYTHON, [torchScript, 'mobile2', String(batches), '1']) : undefined;
  const pair = await Promise.all([tfjs('wasm', 'mobile2', batches, 1), tfjs('wasm', 'mobile2', batches, 1)]);
  const round: Mobile2Round = {
    wasmImagesPerSecond: wasm.imagesPerSecond,
    wasmImagesPerCpuSecond: wasm.imagesPerCpuSecond,
    pytorchImagesPerSecond: torch?.imagesPerSecond,
    pytorchImagesPerCpuSecond: torch?.imagesPerCpuSecond,
    vsPytorchWall: torch ? wasm.imagesPerSecond / torch.imagesPerSecond : undefined,
    vsPytorchCpu: torch ? wasm.imagesPerCpuSecond / torch.imagesPerCpuSecond : undefined,
    pairImagesPerSecond: pair.map((m) => m.imagesPerSecond),
    pairImagesPerCpuSecond: pair.map((m) => m.imagesPerCpuSecond),
    pairSpeedupWall: pair.reduce((s, m) => s + m.imagesPerSecond, 0) / wasm.imagesPerSecond,
    pairSpeedupCpu: pair.reduce((s, m) => s + m.imagesPerCpuSecond, 0) / wasm.imagesPerCpuSecond,
    loadavg: loadavg(),
  };
  rounds.push(round);
  console.log(`round ${r + 1}: mobile2 wasm ${round.wasmImagesPerSecond.toFixed(1)} images/s (${round.wasmImagesPerCpuSecond.toFixed(1)}/CPU-s)` +
    (torch ? `, PyTorch ${torch.imagesPerSecond.toFixed(1)} (${torch.imagesPerCpuSecond.toFixed(1)}/CPU-s): ` +
      `${round.vsPytorchWall!.toFixed(2)}× wall, ${round.vsPytorchCpu!.toFixed(2)}× CPU-s` : '') +
    `; two processes ${round.pairSpeedupWall.toFixed(2)}× wall, ${round.pairSpeedupCpu.toFixed(2)}× CPU-s; load ${round.loadavg}`);
}
const medianOf = (f: (r: Mobile2Round) => number | undefined) => {
  const xs = rounds.map(f).filter((x): x is number => x !== undefined);
  return xs.length ? median(xs) : undefined;
};
const mobile2Medians = {
  vsPytorchWall: medianOf((r) => r.vsPytorchWall),
  vsPytorchCpu: medianOf((r) => r.vsPytorchCpu),
  pairSpeedupWall: medianOf((r) => r.pairSpeedupWall)!,
  pairSpeedupCpu: medianOf((r) => r.pairSpeedupCpu)!,
};
console.log(`medians over ${repeats} rounds: mobile2 wasm ${mobile2Medians.vsPytorchWall?.toFixed(2)}× PyTorch wall, ` +
  `${mobile2Medians.vsPytorchCpu?.toFixed(2)}× CPU-s; two processes ${mobile2Medians.pairSpeedupWall.toFixed(2)}× wall, ${mobile2Medians.pairSpeedupCpu.toFixed(2)}× CPU-s`);
// The round with the median wall-clock scaling stands for "parallel" in older report readers.
const medianRound = [...rounds].sort((a, b) => a.pairSpeedupWall - b.pairSpeedupWall)[rounds.length >> 1]!;
const parallel = {
  network: 'mobile2',
  backend: 'wasm',
  processes: 2,
  imagesPerSecond: medianRound.pairImagesPerSecond.reduce((s, x) => s + x, 0),
  perProcessImagesPerSecond: medianRound.pairImagesPerSecond,
  perProcessImagesPerCpuSecond: medianRound.pairImagesPerCpuSecond,
  speedupOverOne: medianRound.pairSpeedupWall,
  cpuSecondScaling: medianRound.pairSpeedupCpu,
};

const torchOf = (network: string) => results.find((m) => m.backend === 'pytorch' && m.network === network);
const rows = results.filter((m) => m.backend !== 'pytorch').map((m) => {
  const t = torchOf(m.network);
  return {
    ...m,
    vsPytorchWall: t ? m.imagesPerSecond / t.imagesPerSecond : undefined,
    vsPytorchCpu: t ? m.imagesPerCpuSecond / t.imagesPerCpuSecond : undefined,
  };
});
for (const r of rows) {
  if (r.vsPytorchWall !== undefined) {
    console.log(`${r.network} ${r.backend}: ${r.vsPytorchWall.toFixed(2)}× PyTorch (wall), ${r.vsPytorchCpu!.toFixed(2)}× (CPU time)`);
  }
}

const outDir = join(repoRoot, 'bench', 'results');
mkdirSync(outDir, { recursive: true });
const benchReport: BenchReport = {
  started, batch: BATCH, classes: CLASSES, batches, cpuBatch: CPU_BATCH, cores: cpus().length, cpu: cpus()[0]?.model ?? '',
  loadavgAtStart, loadavgAtEnd: loadavg(), pytorch: torchVersion ?? null, results: rows,
  pytorchResults: results.filter((m) => m.backend === 'pytorch'), parallel, mobile2Rounds: rounds, mobile2Medians,
};
writeFileSync(join(outDir, 'train-throughput.json'), JSON.stringify(benchReport, null, 2) + '\n');

const md = renderMarkdown(benchReport);
writeFileSync(join(outDir, 'train-throughput.md'), md);
console.log(`wrote ${join(outDir, 'train-throughput.md')}`);
