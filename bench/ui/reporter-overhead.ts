/**
 * What a reporter costs a run. Replays a pipeline of 1,000 fast stages the way the engine emits it
 * (queued, started, a log line, per-step progress, finished; two at a time) with a fixed amount of
 * main-thread work per stage, once with no reporter, then with the plain, JSON and Ink reporters.
 * The Ink view renders into a fake 120x40 terminal. Prints wall times, the overhead of each
 * reporter and the Ink view's overhead relative to the plain logger (target: within 10%).
 *
 *   npm run build && node dist/bench/ui/reporter-overhead.js [--stages 1000] [--work-ms 1] [--repeats 5] [--write]
 *
 * Run it outside CI (CI=true makes Ink skip terminal writes) and on an idle machine.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { availableParallelism, cpus } from 'node:os';
import type { RunEvent, RunReporter } from '../../src/exec/events.js';
import { createReporter, type ReporterMode } from '../../src/ui/create-reporter.js';
import { InkProcessReporter } from '../../src/ui/ink-process-reporter.js';
import { FakeTty, fastStagesRun, repoRoot, silentStdin } from '../../test/ui/streams.js';

interface Args {
  stages: number;
  workMs: number;
  repeats: number;
  progressPerStage: number;
  write: boolean;
}

function parseArgs(argv: string[]): Args {
  const value = (name: string, fallback: number) => {
    const i = argv.indexOf(`--${name}`);
    return i !== -1 ? Number(argv[i + 1]) : fallback;
  };
  return {
    stages: value('stages', 1000),
    workMs: value('work-ms', 1),
    repeats: value('repeats', 5),
    progressPerStage: value('progress', 20),
    write: argv.includes('--write'),
  };
}

/** Spins for `ms` of main-thread time: hashing, IPC and bookkeeping the engine does per stage. */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The event stream of the synthetic run, regrouped per stage with fresh timestamps, plus extra
 * per-step progress so a stage emits as a busy training stage would.
 */
function stageBatches(args: Args): RunEvent[][] {
  const events = fastStagesRun(args.stages, { stageMs: 1 });
  const batches: RunEvent[][] = [[events[0]!]];
  let current: RunEvent[] = [];
  for (const e of events.slice(1)) {
    if (e.type === 'run-finished') break;
    if (e.type === 'stage-cached' || e.type === 'stage-queued') {
      if (current.length > 0) batches.push(current);
      current = [];
    }
    current.push(e);
    if (e.type === 'stage-progress') {
      for (let step = 2; step <= args.progressPerStage; step++) {
        current.push({ ...e, progress: { step, total: args.progressPerStage, unit: 'batch', label: 'epoch 1/1', metrics: { loss: 1 / step } } });
      }
    }
  }
  batches.push(current);
  return batches;
}

/**
 * CPU time of the calling thread (Linux, 10 ms resolution): what a reporter costs the engine's
 * own thread. The Ink view's process is not counted in this or in the process's CPU time.
 */
function threadCpuMs(): number {
  try {
    // Fields after the command name (which is in parentheses): utime and stime are the 12th and 13th.
    const fields = readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return Number.NaN;
  }
}

interface Measurement {
  wallMs: number;
  /** User + system CPU time of the process: less disturbed by other work on the machine than wall time. */
  cpuMs: number;
  /** CPU time of the engine's thread alone. */
  engineThreadCpuMs: number;
  events: number;
  terminalWrites: number;
  terminalBytes: number;
  /** Ink only: frames drawn, and the frame interval the draw budget settled on. */
  frames?: number;
  frameIntervalMs?: number;
}

async function simulateRun(batches: RunEvent[][], args: Args, mode: ReporterMode | 'none'): Promise<Measurement> {
  const out = new FakeTty(120, 40, false);
  const reporter: RunReporter = mode === 'none' ? { onEvent: () => {} } : await createReporter({ mode, out: out.asWriteStream(), stdin: silentStdin() });
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  const thread0 = threadCpuMs();
  const t0 = Date.now();
  let events = 0;
  for (const batch of batches) {
    const now = Date.now();
    for (const e of batch) {
      reporter.onEvent({ ...e, time: now } as RunEvent);
      events++;
    }
    busy(args.workMs);
    await yieldToLoop();
  }
  const end = Date.now();
  reporter.onEvent({ type: 'run-finished', runId: 'run-fast', time: end, status: 'succeeded', durationMs: end - t0, counts: { ran: 0, cached: 0, failed: 0, skipped: 0 } });
  await reporter.close?.();
  const cpu = process.cpuUsage(cpu0);
  const engineThreadCpuMs = threadCpuMs() - thread0;
  const stats = reporter instanceof InkProcessReporter ? reporter.stats : undefined;
  const frames = stats?.frames;
  const frameIntervalMs = stats?.frameIntervalMs;
  return { wallMs: performance.now() - start, cpuMs: (cpu.user + cpu.system) / 1000, engineThreadCpuMs, events: events + 1, terminalWrites: out.writes, terminalBytes: out.bytes, frames, frameIntervalMs };
}

/** Cost of folding and printing events with no run around them: the synchronous burst case. */
async function burstMicrosPerEvent(batches: RunEvent[][], mode: ReporterMode): Promise<number> {
  const out = new FakeTty(120, 40, false);
  const reporter = await createReporter({ mode, out: out.asWriteStream(), stdin: silentStdin() });
  const flat = batches.flat();
  const start = performance.now();
  for (const e of flat) reporter.onEvent(e);
  const micros = ((performance.now() - start) * 1000) / flat.length;
  await reporter.close();
  return micros;
}

const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (process.env.CI) console.warn('warning: CI is set, so Ink computes frames but does not write them');
  const batches = stageBatches(args);
  const modes = ['none', 'plain', 'json', 'ink'] as const;
  const runs: Record<(typeof modes)[number], Measurement[]> = { none: [], plain: [], json: [], ink: [] };
  await simulateRun(batches, args, 'ink'); // warm-up: module loading, JIT
  for (let r = 0; r < args.repeats; r++) {
    // Interleave modes so a noisy neighbour on the other core hits all of them alike.
    for (const mode of modes) runs[mode].push(await simulateRun(batches, args, mode));
  }
  const wall = Object.fromEntries(modes.map((m) => [m, median(runs[m].map((x) => x.wallMs))])) as Record<(typeof modes)[number], number>;
  const burst = { plain: await burstMicrosPerEvent(batches, 'plain'), json: await burstMicrosPerEvent(batches, 'json'), ink: await burstMicrosPerEvent(batches, 'ink') };
  const cpu = Object.fromEntries(modes.map((m) => [m, median(runs[m].map((x) => x.cpuMs))])) as Record<(typeof modes)[number], number>;
  const threadCpu = Object.fromEntries(modes.map((m) => [m, median(runs[m].map((x) => x.engineThreadCpuMs))])) as Record<(typeof modes)[number], number>;
  const inkVsPlain = (wall.ink / wall.plain - 1) * 100;
  const inkVsPlainCpu = (cpu.ink / cpu.plain - 1) * 100;
  const inkRun = runs.ink[runs.ink.length - 1]!;

  const lines = [
    `reporter overhead: ${args.stages} stages, ${runs.none[0]!.events} events, ${args.workMs} ms main-thread work per stage, median of ${args.repeats}`,
    `machine: ${cpus()[0]?.model ?? '?'} x${availableParallelism()}, node ${process.version}`,
    `  reporter   wall ms   cpu ms (all threads)   cpu ms (engine thread)   wall over none`,
    ...modes.map((m) => `  ${m.padEnd(8)} ${wall[m].toFixed(0).padStart(7)} ${cpu[m].toFixed(0).padStart(10)} ${threadCpu[m].toFixed(0).padStart(22)}              ${m === 'none' ? '' : `${signed(((wall[m] / wall.none) - 1) * 100)}%`}`),
    `  ink vs plain: wall ${signed(inkVsPlain)}%, cpu ${signed(inkVsPlainCpu)}%, engine-thread cpu ${signed((threadCpu.ink / threadCpu.plain - 1) * 100)}% (target: wall within 10%)`,
    `  ink, last run: ${inkRun.frames} frames in ${(inkRun.wallMs / 1000).toFixed(1)} s (interval at the end ${inkRun.frameIntervalMs?.toFixed(0)} ms), ${inkRun.terminalWrites} terminal writes (${(inkRun.terminalBytes / 1024).toFixed(0)} KiB) for ${inkRun.events} events`,
    `  synchronous burst, per event: plain ${burst.plain.toFixed(2)} µs, json ${burst.json.toFixed(2)} µs, ink ${burst.ink.toFixed(2)} µs`,
  ];
  console.log(lines.join('\n'));
  if (args.write) {
    const dir = join(repoRoot, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'ui-reporter-overhead.txt'), `${new Date().toISOString()}\n${lines.join('\n')}\n`);
    writeFileSync(join(dir, 'ui-reporter-overhead.json'), JSON.stringify({ args, wallMs: wall, cpuMs: cpu, engineThreadCpuMs: threadCpu, inkVsPlainPercent: inkVsPlain, inkVsPlainCpuPercent: inkVsPlainCpu, burstMicrosPerEvent: burst, runs }, null, 2) + '\n');
  }
}

await main();
