/**
 * The issue's target, measured on the real engine: `dag run` of a pipeline of 1,000 fast stages
 * (`echo`, independent, two at a time) with the Ink view in a tmux pseudo-terminal versus the
 * plain logger, both on a tmux terminal (like for like: the terminal emulator's work counts for
 * both) and writing to a file. Each run starts from an empty cache so every stage runs; modes
 * alternate so a noisy neighbour hits both alike. Prints wall times (and the engine's own run
 * duration from the summary) and the Ink view's overhead; `--write` commits them to bench/results.
 *
 *   npm run build && node dist/bench/ui/engine-overhead.js [--stages 1000] [--repeats 3] [--write]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../test/ui/streams.js';

const argv = process.argv.slice(2);
const arg = (name: string, fallback: number) => (argv.includes(`--${name}`) ? Number(argv[argv.indexOf(`--${name}`) + 1]) : fallback);
const stages = arg('stages', 1000);
const repeats = arg('repeats', 3);
const socket = `dag-ui-bench-${process.pid}`;

interface RunTiming {
  wallMs: number;
  /** `run succeeded in …` from the summary: the engine's own measure of the run. */
  engineMs: number;
  /**
   * User + system CPU of `dag` and its stage processes (GNU time), or NaN without it. Less
   * disturbed by a busy machine than wall time; the stages' share is the same in every mode.
   */
  cpuMs: number;
}

const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

function pipelineDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dag-ui-bench-'));
  const items = Array.from({ length: stages }, (_, i) => i + 1).join(', ');
  writeFileSync(join(dir, 'pipeline.yaml'), `params:\n  items: [${items}]\nstages:\n  s:\n    foreach: \${params.items}\n    cmd: "echo stage \${item}"\n`);
  return dir;
}

/** The shell line both modes run: the run itself timed by the shell, so both are measured alike. */
function timedRun(dir: string, cache: string, extra: string, logFile?: string): string {
  const dag = join(repoRoot, 'bin', 'dag.js');
  const time = gnuTime ? `${gnuTime} -f '%U %S' -o ${cache}.cpu ` : '';
  return `cd ${dir} && s=$(date +%s%N) && env -u CI -u CONTINUOUS_INTEGRATION ${time}${process.execPath} ${dag} run pipeline.yaml --cache ${cache} ${extra} ${logFile ? `> ${logFile}` : ''}; e=$(date +%s%N); echo $(( (e - s) / 1000000 )) > ${cache}.wall`;
}

function readCpuMs(cache: string): number {
  if (!existsSync(`${cache}.cpu`)) return Number.NaN;
  const [user, system] = readFileSync(`${cache}.cpu`, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
  return (user! + system!) * 1000;
}

function parseEngineMs(text: string): number {
  const m = /run succeeded in (\d+(?:\.\d+)?)(s|m\d+s)/.exec(text);
  if (!m) throw new Error(`no "run succeeded" in the output:\n${text.slice(-2000)}`);
  if (m[2] === 's') return Number(m[1]) * 1000;
  return (Number(m[1]) * 60 + Number(m[2]!.slice(1, -1))) * 1000;
}

function plainRun(dir: string, n: number): RunTiming {
  const cache = join(dir, `plain-${n}`);
  const r = spawnSync('sh', ['-c', timedRun(dir, cache, '--plain', `${cache}.log`)], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('plain run failed');
  return { wallMs: Number(readFileSync(`${cache}.wall`, 'utf8')), engineMs: parseEngineMs(readFileSync(`${cache}.log`, 'utf8')), cpuMs: readCpuMs(cache) };
}

/** A run inside a tmux pseudo-terminal: the Ink view, or (`--plain`) the plain logger on a terminal. */
async function terminalRun(dir: string, name: string, extra: string, screenshots?: string[]): Promise<RunTiming> {
  const cache = join(dir, name);
  execFileSync('tmux', ['-L', socket, 'new-session', '-d', '-s', name, '-x', '120', '-y', '32', `${timedRun(dir, cache, extra)}; sleep 600`]);
  let midRun = '';
  while (!existsSync(`${cache}.wall`)) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    if (screenshots && !midRun) {
      const screen = execFileSync('tmux', ['-L', socket, 'capture-pane', '-p', '-t', name], { encoding: 'utf8' });
      if (/▶/.test(screen) && /\d+ done/.test(screen)) midRun = screen;
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  const end = execFileSync('tmux', ['-L', socket, 'capture-pane', '-p', '-S', '-50', '-t', name], { encoding: 'utf8' });
  execFileSync('tmux', ['-L', socket, 'kill-session', '-t', name]);
  screenshots?.push(midRun.trimEnd(), end.trimEnd());
  return { wallMs: Number(readFileSync(`${cache}.wall`, 'utf8')), engineMs: parseEngineMs(end), cpuMs: readCpuMs(cache) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const dir = pipelineDir();
  const runs: Record<'plainFile' | 'plainTerminal' | 'ink', RunTiming[]> = { plainFile: [], plainTerminal: [], ink: [] };
  const screenshots: string[] = [];
  const load = loadavg()[0]!;
  try {
    for (let n = 0; n < repeats; n++) {
      runs.plainFile.push(plainRun(dir, n));
      runs.ink.push(await terminalRun(dir, `ink-${n}`, '', n === 0 ? screenshots : undefined));
      runs.plainTerminal.push(await terminalRun(dir, `plain-tty-${n}`, '--plain'));
      console.error(`repeat ${n + 1}/${repeats}: ${Object.entries(runs).map(([k, v]) => `${k} ${v[n]!.wallMs} ms`).join(', ')}`);
    }
  } finally {
    spawnSync('tmux', ['-L', socket, 'kill-server']);
    rmSync(dir, { recursive: true, force: true });
  }
  const wall = (k: keyof typeof runs) => median(runs[k].map((r) => r.wallMs));
  const engine = (k: keyof typeof runs) => median(runs[k].map((r) => r.engineMs));
  const cpu = (k: keyof typeof runs) => median(runs[k].map((r) => r.cpuMs));
  const pct = (a: number, b: number) => `${a >= b ? '+' : ''}${((a / b - 1) * 100).toFixed(1)}%`;
  const row = (label: string, k: keyof typeof runs) =>
    `  ${label.padEnd(30)} wall ${(wall(k) / 1000).toFixed(1)} s   engine ${(engine(k) / 1000).toFixed(1)} s   cpu ${(cpu(k) / 1000).toFixed(1)} s   runs: ${runs[k].map((r) => (r.wallMs / 1000).toFixed(1)).join(', ')} s`;
  const lines = [
    `dag run, ${stages} independent echo stages, 2 jobs, fresh cache each run, median of ${repeats} (modes interleaved)`,
    `machine: ${cpus()[0]?.model ?? '?'} x${availableParallelism()}, node ${process.version}, load average at start ${load.toFixed(1)}, at end ${loadavg()[0]!.toFixed(1)}`,
    row('plain, stdout to a file', 'plainFile'),
    row('plain, on a terminal (tmux)', 'plainTerminal'),
    row('ink view (tmux 120x32)', 'ink'),
    `  ink vs plain on a terminal: wall ${pct(wall('ink'), wall('plainTerminal'))}, engine ${pct(engine('ink'), engine('plainTerminal'))}, cpu ${pct(cpu('ink'), cpu('plainTerminal'))}`,
    `  ink vs plain to a file:     wall ${pct(wall('ink'), wall('plainFile'))}, engine ${pct(engine('ink'), engine('plainFile'))}   (target: within 10%)`,
  ];
  console.log(lines.join('\n'));
  if (argv.includes('--write')) {
    const out = join(repoRoot, 'bench', 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'ui-engine-overhead.txt'), `${new Date().toISOString()}\n${lines.join('\n')}\n\nInk view mid-run (first repeat):\n${screenshots[0] ?? ''}\n\nInk view at the end:\n${screenshots[1] ?? ''}\n`);
  }
}

await main();
