/**
 * bench/results/train-throughput.md from train-throughput.json, so the table can be re-rendered
 * without re-measuring:  node dist/bench/train-throughput/render.js
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Measurement } from './worker.js';

/** One round of the targets' measurements: wasm mobile2, its PyTorch twin, two wasm processes. */
export interface Mobile2Round {
  wasmImagesPerSecond: number;
  wasmImagesPerCpuSecond: number;
  pytorchImagesPerSecond?: number;
  pytorchImagesPerCpuSecond?: number;
  vsPytorchWall?: number;
  vsPytorchCpu?: number;
  pairImagesPerSecond: number[];
  pairImagesPerCpuSecond: number[];
  /** The pair's images/s together over this round's single process. */
  pairSpeedupWall: number;
  /** The same from images per CPU-second: the speed-up with a core each. */
  pairSpeedupCpu: number;
  loadavg: string;
}

export interface BenchReport {
  started: string;
  batch: number;
  classes: number;
  batches: number;
  /** Batch size of the cpu-backend measurement (older reports: read from its result). */
  cpuBatch?: number;
  cores: number;
  cpu: string;
  /** /proc/loadavg before the first measurement (older reports: absent). */
  loadavgAtStart?: string;
  loadavgAtEnd: string;
  pytorch: string | null;
  results: Array<Measurement & { vsPytorchWall?: number; vsPytorchCpu?: number }>;
  pytorchResults: Measurement[];
  parallel: {
    imagesPerSecond: number;
    perProcessImagesPerSecond: number[];
    perProcessImagesPerCpuSecond: number[];
    speedupOverOne: number;
    /**
     * The two processes' images per CPU-second summed, over one process's: the speed-up they reach
     * when each has a core to itself, which wall-clock time shows only on an idle machine.
     */
    cpuSecondScaling?: number;
  };
  /** Older reports: absent. */
  mobile2Rounds?: Mobile2Round[];
  mobile2Medians?: { vsPytorchWall?: number; vsPytorchCpu?: number; pairSpeedupWall: number; pairSpeedupCpu: number };
}

/** One decimal from 10 up, two significant digits below: 0.012, 5.3, 77.7. */
function fmt(x: number | undefined): string {
  if (x === undefined) return '–';
  return x >= 10 ? x.toFixed(1) : x.toPrecision(2);
}

function ratio(x: number | undefined): string {
  if (x === undefined) return '–';
  return x >= 0.1 ? x.toFixed(2) : x.toPrecision(2);
}

function loadSentence(r: BenchReport): string {
  const loads = [r.loadavgAtStart, r.loadavgAtEnd].filter((l): l is string => l !== undefined);
  const busy = loads.some((l) => Number(l.split(' ')[0]) > r.cores * 0.75);
  const seen = r.loadavgAtStart ? `Load average at the start: ${r.loadavgAtStart}; at the end: ${r.loadavgAtEnd}.` : `Load average at the end: ${r.loadavgAtEnd}.`;
  return busy
    ? `${seen} Other work shared the ${r.cores} cores, so wall-clock figures are low and noisy; images per CPU-second ` +
        "(per second of the process's own CPU time) is the steadier comparison, though contention lowers it too."
    : `${seen} Images per CPU-second is per second of the process's own CPU time.`;
}

function roundsSection(rounds: Mobile2Round[], med: NonNullable<BenchReport['mobile2Medians']>): string[] {
  return [
    `## Issue 3's targets: ${rounds.length} back-to-back rounds`,
    '',
    'Each round trains mobile2 on wasm, then in PyTorch, then on wasm in two processes at once, so each',
    'ratio compares runs under the same load. Targets: wasm ≥ 1.0× PyTorch; two processes ≥ 1.8× one.',
    '',
    '| round | wasm images/s (per CPU-s) | PyTorch images/s (per CPU-s) | × PyTorch wall | × PyTorch CPU-s | two processes, images/s | × one, wall | × one, CPU-s | load average after |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rounds.map((x, i) => `| ${i + 1} | ${fmt(x.wasmImagesPerSecond)} (${fmt(x.wasmImagesPerCpuSecond)}) | ` +
      `${fmt(x.pytorchImagesPerSecond)} (${fmt(x.pytorchImagesPerCpuSecond)}) | ${ratio(x.vsPytorchWall)} | ${ratio(x.vsPytorchCpu)} | ` +
      `${x.pairImagesPerSecond.map(fmt).join(' + ')} | ${x.pairSpeedupWall.toFixed(2)} | ${x.pairSpeedupCpu.toFixed(2)} | ${x.loadavg.split(' ').slice(0, 3).join(' ')} |`),
    `| median | | | **${ratio(med.vsPytorchWall)}** | **${ratio(med.vsPytorchCpu)}** | | **${med.pairSpeedupWall.toFixed(2)}** | **${med.pairSpeedupCpu.toFixed(2)}** | |`,
    '',
    '"× one, CPU-s" sums the two processes\' images per CPU-second over the single process\': the speed-up',
    'with a core each, which the wall clock shows only when nothing else runs on the machine.',
  ];
}

export function renderMarkdown(r: BenchReport): string {
  const single = r.results.find((m) => m.network === 'mobile2' && m.backend === 'wasm');
  const p = r.parallel;
  const cpuBatch = r.cpuBatch ?? r.results.find((m) => m.backend === 'cpu')?.batchSize ?? r.batch;
  return [
    '# Training throughput',
    '',
    `Run ${r.started} by \`node dist/bench/train-throughput/run.js ${r.batches}${r.mobile2Rounds ? ` ${r.mobile2Rounds.length}` : ''}\` on ${r.cores} cores (${r.cpu}).`,
    `Batch ${r.batch} of 28×28×1 images, ${r.classes} classes, softmax cross-entropy, Adam (\`src/ml/optimizers.ts\` for TensorFlow.js); ${r.batches} timed batches after one`,
    `warm-up (the cpu backend: one batch of ${cpuBatch}, no warm-up). PyTorch ${r.pytorch ?? 'unavailable'} (Debian python3-torch),`,
    '`torch.set_num_threads(1)`, same networks (parameter counts match).',
    '',
    loadSentence(r),
    '',
    '| network | backend | images/s (wall) | images per CPU-second | × PyTorch (wall) | × PyTorch (CPU-s) |',
    '|---|---|---:|---:|---:|---:|',
    ...r.results.map((m) => `| ${m.network} | ${m.backend} | ${fmt(m.imagesPerSecond)} | ${fmt(m.imagesPerCpuSecond)} | ${ratio(m.vsPytorchWall)} | ${ratio(m.vsPytorchCpu)} |`),
    ...r.pytorchResults.map((m) => `| ${m.network} | pytorch, 1 thread | ${fmt(m.imagesPerSecond)} | ${fmt(m.imagesPerCpuSecond)} | 1.00 | 1.00 |`),
    '',
    ...(r.mobile2Rounds && r.mobile2Medians ? roundsSection(r.mobile2Rounds, r.mobile2Medians) : [
      `Two wasm mobile2 trainings in parallel: ${fmt(p.imagesPerSecond)} images/s together ` +
        `(${p.perProcessImagesPerSecond.map(fmt).join(' + ')}; per CPU-second ${p.perProcessImagesPerCpuSecond.map(fmt).join(' and ')}), ` +
        `${p.speedupOverOne.toFixed(2)}× one process${single ? ` (${fmt(single.imagesPerSecond)} images/s)` : ''} in wall-clock time; target ≥ 1.8×.`,
    ]),
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bench', 'results');
  const report = JSON.parse(readFileSync(join(dir, 'train-throughput.json'), 'utf8')) as BenchReport;
  writeFileSync(join(dir, 'train-throughput.md'), renderMarkdown(report));
}
