#!/usr/bin/env node
// Engine benchmark (issue 2, "Proof"): dag against Snakemake on generated layered pipelines, the
// 100,000-variant matrix, start-up cost, and CPU profiles of `dag status`. Run through run.sh.
// Every timed command runs under /usr/bin/time, so each sample has wall time, user+sys CPU time
// (robust to a loaded machine) and peak RSS, plus the 1-minute load average when it started.
//
// Environment: BENCH_DIR (work directory, default a fresh /tmp dir), BENCH_SIZES ("20x50,30x100"),
// BENCH_REPEATS (warm measurements, default 5), BENCH_COLD_REPEATS (cold runs per size, default
// "3,2"), BENCH_MATRIX ("100x1000"), BENCH_MATRIX_REPEATS (default 3), SNAKEMAKE (/usr/bin/snakemake).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { summarise, toMarkdown } from './profile-summary.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const DAG = join(ROOT, 'bin', 'dag.js');
const RESULTS = join(ROOT, 'bench', 'results');
const SNAKEMAKE = process.env.SNAKEMAKE ?? '/usr/bin/snakemake';
const WORK = process.env.BENCH_DIR ?? (process.argv.includes('--report') ? '' : mkdtempSync(join(tmpdir(), 'dag-bench-')));
const SIZES = (process.env.BENCH_SIZES ?? '20x50,30x100').split(',').map((s) => s.split('x').map(Number));
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const COLD_REPEATS = (process.env.BENCH_COLD_REPEATS ?? '3,2').split(',').map(Number);
const [MATRIX_A, MATRIX_B] = (process.env.BENCH_MATRIX ?? '100x1000').split('x').map(Number);
const MATRIX_REPEATS = Number(process.env.BENCH_MATRIX_REPEATS ?? 3);

const log = (msg) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)} load ${loadavg()[0].toFixed(2)}] ${msg}\n`);

/** One timed command. Throws when it fails: a benchmark of a failing command measures nothing. */
function timed(cmd, args, { cwd, check } = {}) {
  const timeFile = join(WORK, '.time');
  const load = loadavg()[0];
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', '-o', timeFile, cmd, ...args], {
    cwd, encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, NO_COLOR: '1' },
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.status}\n${r.stdout?.slice(-2000)}\n${r.stderr?.slice(-2000)}`);
  }
  const [, user, sys, rssKb] = readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  if (check && !check(r.stdout + r.stderr)) {
    throw new Error(`${cmd} ${args.join(' ')}: unexpected output\n${(r.stdout + r.stderr).slice(-2000)}`);
  }
  return { wall: round(wall), cpu: round(user + sys), rssMb: Math.round(rssKb / 1024), load: round(load) };
}

const round = (x) => Math.round(x * 1000) / 1000;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : round((s[s.length / 2 - 1] + s[s.length / 2]) / 2);
};
function stats(samples) {
  const walls = samples.map((s) => s.wall);
  return {
    best: Math.min(...walls), median: median(walls), cpuMedian: median(samples.map((s) => s.cpu)),
    rssMbMax: Math.max(...samples.map((s) => s.rssMb)), loads: samples.map((s) => s.load), samples,
  };
}

const dag = (args, cwd, check) => timed(process.execPath, [DAG, ...args], { cwd, check });
const snakemake = (args, cwd, check) => timed(SNAKEMAKE, args, { cwd, check });

/** Digest of every file under out/: the dag and Snakemake runs must produce the same bytes. */
function outDigest(dir) {
  const h = createHash('sha256');
  const names = readdirSync(join(dir, 'out')).sort();
  for (const n of names) h.update(n).update('\0').update(readFileSync(join(dir, 'out', n))).update('\0');
  return { files: names.length, sha256: h.digest('hex').slice(0, 16) };
}

const ranAll = (n) => (out) => new RegExp(`${n} ran, 0 cached`).test(out);
const allCached = (n) => (out) => out.includes(`${n} stages: ${n} cached, 0 will run, 0 blocked`);
const noop = (n) => (out) => out.includes(`0 ran, ${n} cached`);

function benchLayered(layers, width, coldRepeats) {
  const n = layers * width;
  const dir = join(WORK, `layered-${layers}x${width}`);
  rmSync(dir, { recursive: true, force: true });
  run(process.execPath, [join(HERE, 'gen.mjs'), 'layered', String(layers), String(width), dir]);
  mkdirSync(join(dir, '.dag'));
  const forms = { explicit: 'dag.yaml', compact: 'dag-compact.yaml' };
  const res = { layers, width, stages: n, cold: {}, status: {}, noop: {}, outputs: {} };
  const fresh = (extra) => {
    rmSync(join(dir, 'out'), { recursive: true, force: true });
    for (const e of extra) rmSync(join(dir, e), { recursive: true, force: true });
  };
  const cold = { explicit: [], compact: [], snakemake: [] };
  // Cold runs interleaved, so that a change in the machine's load hits every contender alike.
  for (let r = 0; r < coldRepeats; r++) {
    for (const [form, file] of Object.entries(forms)) {
      if (form === 'compact' && r > 0 && r >= Math.ceil(coldRepeats / 2)) continue;
      fresh([`cache-${form}`]);
      log(`${n} stages: dag run (${form}) cold #${r + 1}`);
      cold[form].push(dag(['run', file, '--jobs', '2', '--cache', `cache-${form}`], dir, ranAll(n)));
      res.outputs[`dag-${form}`] = outDigest(dir);
    }
    fresh(['.snakemake']);
    log(`${n} stages: snakemake -c2 cold #${r + 1}`);
    cold.snakemake.push(snakemake(['-c2', '-s', 'Snakefile'], dir, (o) => o.includes(`${n + 1} of ${n + 1} steps (100%) done`)));
    res.outputs.snakemake = outDigest(dir);
  }
  for (const k of Object.keys(cold)) res.cold[k] = stats(cold[k]);
  // Everything done: out/ holds Snakemake's files, which are byte-identical to dag's (checked
  // below), so dag's status sees them as up to date and Snakemake's dry run has nothing to do.
  for (const [form, file] of Object.entries(forms)) {
    // Untimed: Snakemake rewrote out/ (same bytes, new mtimes), so the first status re-hashes every
    // out once and refreshes the stat cache; measured is the steady state right after a run.
    dag(['status', file, '--cache', `cache-${form}`], dir, allCached(n));
    log(`${n} stages: dag status / no-op run (${form}) ×${REPEATS}`);
    const st = [];
    const nr = [];
    for (let r = 0; r < REPEATS; r++) {
      st.push(dag(['status', file, '--cache', `cache-${form}`], dir, allCached(n)));
      nr.push(dag(['run', file, '--jobs', '2', '--cache', `cache-${form}`], dir, noop(n)));
    }
    res.status[form] = stats(st);
    res.noop[form] = stats(nr);
  }
  log(`${n} stages: snakemake -n ×${REPEATS}`);
  const dry = [];
  for (let r = 0; r < REPEATS; r++) dry.push(snakemake(['-n', '-c2', '-s', 'Snakefile'], dir, (o) => o.includes('Nothing to be done')));
  res.status.snakemake = stats(dry);
  const digests = new Set(Object.values(res.outputs).map((o) => `${o.files}:${o.sha256}`));
  res.outputsIdentical = digests.size === 1;
  if (!res.outputsIdentical) log(`WARNING: outputs differ: ${JSON.stringify(res.outputs)}`);
  res.dir = dir;
  return res;
}

function benchMatrix() {
  const dir = join(WORK, `matrix-${MATRIX_A}x${MATRIX_B}`);
  rmSync(dir, { recursive: true, force: true });
  run(process.execPath, [join(HERE, 'gen.mjs'), 'matrix', String(MATRIX_A), String(MATRIX_B), dir]);
  mkdirSync(join(dir, '.dag'));
  const n = MATRIX_A * MATRIX_B;
  const samples = [];
  for (let r = 0; r < MATRIX_REPEATS; r++) {
    log(`matrix ${n}: dag status #${r + 1}`);
    samples.push(dag(['status', 'dag.yaml', '--cache', 'cache'], dir, (o) => o.includes(`${n} stages: 0 cached, ${n} will run`)));
  }
  return { variants: n, dir, status: stats(samples) };
}

function benchStartup() {
  const dir = join(WORK, 'trivial');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, '.dag'), { recursive: true });
  writeFileSync(join(dir, 'dag.yaml'), 'stages:\n  one:\n    cmd: echo one > one.txt\n    outs: [one.txt]\n');
  dag(['run', 'dag.yaml', '--cache', 'cache'], dir);
  const reps = Math.max(REPEATS, 10);
  const series = (f) => stats(Array.from({ length: reps }, f));
  log(`start-up ×${reps}`);
  return {
    dir,
    nodeE0: series(() => timed(process.execPath, ['-e', '0'], { cwd: dir })),
    dagVersion: series(() => dag(['--version'], dir)),
    trivialStatus: series(() => dag(['status', 'dag.yaml', '--cache', 'cache'], dir, allCached(1))),
  };
}

/** Cost of importing one module into a fresh Node process (wall and CPU, ms): where start-up goes. */
const IMPORTS = ['commander', 'yaml', 'zod', 'graphlib', 'lowdb', 'p-queue', 'react', 'ink',
  'dist/src/pipeline/schema.js', 'dist/src/cli/status.js', 'dist/src/ui/create-reporter.js', 'dist/src/cli/run.js'];
function benchImports() {
  const reps = Math.max(REPEATS, 5);
  log(`import costs ×${reps}`);
  const out = {};
  for (const m of IMPORTS) {
    const spec = m.startsWith('dist/') ? `./${m}` : m;
    const code = `const t=performance.now(),c=process.cpuUsage();await import(${JSON.stringify(spec)});const u=process.cpuUsage(c);console.log(performance.now()-t,(u.user+u.system)/1000)`;
    const samples = Array.from({ length: reps }, () => run(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT }).trim().split(' ').map(Number));
    out[m] = { wallMsMedian: Math.round(median(samples.map((x) => x[0]))), cpuMsMedian: Math.round(median(samples.map((x) => x[1]))) };
  }
  return out;
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** `node --cpu-prof` of one dag command (the scheduler process only); returns the summary of its profile. */
function profile(title, cwd, args) {
  const profDir = join(WORK, 'profiles', title.replace(/[^A-Za-z0-9]+/g, '-'));
  rmSync(profDir, { recursive: true, force: true });
  log(`profiling: ${title}`);
  run(process.execPath, ['--cpu-prof', '--cpu-prof-dir', profDir, DAG, ...args], { cwd });
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  return { title, file: join(profDir, file), ...summarise(JSON.parse(readFileSync(join(profDir, file), 'utf8')), 15) };
}

function machine() {
  const sm = spawnSync(SNAKEMAKE, ['--version'], { encoding: 'utf8' });
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' });
  return {
    date: new Date().toISOString(),
    nproc: cpus().length,
    cpuModel: cpus()[0]?.model,
    node: process.version,
    snakemake: sm.stdout.trim(),
    commit: git.stdout.trim() + (dirty.stdout.trim() ? ' (src/ has uncommitted changes)' : ''),
    loadavgStart: loadavg().map(round),
  };
}

// ---- report ----

const s = (x) => (x === undefined ? '–' : `${x.toFixed(x < 10 ? 2 : 1)} s`);
const bm = (st) => `${s(st.best)} / ${s(st.median)}`;
const loadRange = (...sts) => {
  const l = sts.flatMap((st) => st.loads);
  return `${Math.min(...l).toFixed(1)}–${Math.max(...l).toFixed(1)}`;
};
const verdict = (ok) => (ok ? 'yes' : '**no**');

function report(result) {
  const m = result.machine;
  const rows = [];
  const row = (what, dagSt, other, target, met) =>
    rows.push(`| ${what} | ${dagSt ? bm(dagSt) : '–'} | ${dagSt ? s(dagSt.cpuMedian) : '–'} | ${other ? bm(other) : '–'} | ${other ? s(other.cpuMedian) : '–'} | ${target} | ${met} | ${loadRange(...[dagSt, other].filter(Boolean))} |`);
  for (const L of result.layered) {
    const n = L.stages.toLocaleString('en-US');
    const statusTarget = L.stages <= 1000 ? 0.2 : 0.5;
    for (const form of ['explicit', 'compact']) {
      const c = L.cold[form];
      const sm = L.cold.snakemake;
      const ratio = sm.median / c.median;
      const coldTarget = L.stages === 1000 ? '≥ 3× faster than Snakemake' : '(none)';
      const ratios = `${ratio.toFixed(2)}× (best ${(sm.best / c.best).toFixed(2)}×, CPU ${(sm.cpuMedian / c.cpuMedian).toFixed(2)}×)`;
      const coldMet = L.stages === 1000 ? `${verdict(ratio >= 3)}: ${ratios}` : ratios;
      row(`${n} stages (${L.layers}×${L.width}, ${form}): cold run, 2 jobs`, c, sm, coldTarget, coldMet);
    }
    for (const form of ['explicit', 'compact']) {
      const st = L.status[form];
      row(`${n} stages (${form}): \`dag status\` all cached vs \`snakemake -n\``, st, L.status.snakemake, `≤ ${statusTarget} s`,
        `${verdict(st.median <= statusTarget)} (best ${verdict(st.best <= statusTarget)})`);
    }
    for (const form of ['explicit', 'compact']) row(`${n} stages (${form}): no-op \`dag run\``, L.noop[form], undefined, '(none)', '');
  }
  const mx = result.matrix?.status;
  if (mx) rows.push(`| ${result.matrix.variants.toLocaleString('en-US')}-variant matrix: \`dag status\` (expand + key) | ${bm(mx)} | ${s(mx.cpuMedian)} | – | – | ≤ 10 s, ≤ 1 GB | time ${verdict(mx.median <= 10)}, RSS ${mx.rssMbMax} MB ${verdict(mx.rssMbMax <= 1024)} | ${loadRange(mx)} |`);
  const su = result.startup;
  if (su) {
    row('start-up: `node -e 0`', su.nodeE0, undefined, '', '');
    row('start-up: `dag --version`', su.dagVersion, undefined, '', '');
    row('start-up: `dag status` on a 1-stage pipeline', su.trivialStatus, undefined, '', '');
  }

  const imports = Object.entries(result.imports ?? {}).map(([m, x]) => `| \`${m}\` | ${x.wallMsMedian} | ${x.cpuMsMedian} |`).join('\n');
  const outs = result.layered.map((L) => `${L.stages}: ${L.outputsIdentical ? 'identical' : '**differ**'} (${Object.entries(L.outputs).map(([k, o]) => `${k} ${o.files} files ${o.sha256}`).join('; ')})`);
  const profiles = (result.profiles ?? []).map((p) => toMarkdown({ ...p, selfByModule: p.selfByModule.slice(0, 10), selfByFunction: p.selfByFunction.slice(0, 12), inclusiveOurs: p.inclusiveOurs.slice(0, 12) }, p.title)).join('\n');
  return `# Engine benchmark: dag vs Snakemake

Generated by \`bench/engine/run.sh\` (raw figures: \`engine.json\`). Layered pipelines of \`cmd\`
stages: L layers × W stages, stage L{l}_S{s} reads the outputs of L{l-1}_S{s} and
L{l-1}_S{s+1 mod W}; each command is \`echo L{l}_S{s} $(cat dep1 dep2 | wc -c) > out/L{l}_S{s}.txt\`.
"explicit" = one YAML stage per node; "compact" = one \`foreach\` stage per layer (a mapping carrying
each variant's two parents, since \`\${…}\` has no arithmetic). Snakefile: one wildcard rule with an
input function (the same shell commands). dag and Snakemake outputs compared byte for byte.

## Machine

- date ${m.date}, commit ${m.commit}
- nproc ${m.nproc} (${m.cpuModel}), Node ${m.node}, Snakemake ${m.snakemake}
- load average at start ${m.loadavgStart.join(' / ')}, at end ${result.loadavgEnd?.join(' / ') ?? '–'}${(result.resumed ?? []).map((r) => `; resumed ${r.at} at load ${r.loadavg.join(' / ')}`).join('')}
  (the machine was shared with other work: wall times are inflated; the CPU column — user+sys of
  the process and its children, median — is the figure least affected by load)

## Results

Wall time "best / median" of the repeats (cold runs: ${result.config.coldRepeats.join(', ')} per size — the compact form half as many — interleaved
with Snakemake's; warm: ${result.config.repeats}; matrix: ${result.config.matrixRepeats}). Ratio = Snakemake median / dag median
(wall), also best / best and CPU / CPU. CPU = user+sys of the command and everything it started.

| measurement | dag wall best / median | dag CPU (median) | Snakemake wall best / median | Snakemake CPU (median) | target | met? | load (1 min) during |
|---|---:|---:|---:|---:|---|---|---|
${rows.join('\n')}

Outputs: ${outs.join('; ')}.

## Start-up: cost of importing each module into a fresh Node process (median)

Each line is measured alone, so shared dependencies count in every line that needs them.

| module | wall ms | CPU ms |
|---|---:|---:|
${imports}

## CPU profiles (\`node --cpu-prof\`, main process)

Self time = samples in the function itself; inclusive = samples with the function on the stack.
Line numbers are in the TypeScript sources (mapped through dist/*.js.map).

${profiles}`;
}

// ---- main ----

// `bench.mjs --report`: re-render engine.md from engine.json without measuring again.
if (process.argv.includes('--report')) {
  const saved = JSON.parse(readFileSync(join(RESULTS, 'engine.json'), 'utf8'));
  writeFileSync(join(RESULTS, 'engine.md'), report(saved));
  process.stdout.write(report(saved));
  process.exit(0);
}
mkdirSync(WORK, { recursive: true });
mkdirSync(RESULTS, { recursive: true });
log(`work directory ${WORK}`);
const JSON_FILE = join(RESULTS, 'engine.json');
const config = { sizes: SIZES, repeats: REPEATS, coldRepeats: COLD_REPEATS, matrix: [MATRIX_A, MATRIX_B], matrixRepeats: MATRIX_REPEATS };
// BENCH_RESUME=1 (with the same BENCH_DIR): keep the sections engine.json already holds, measure the rest.
const result = process.env.BENCH_RESUME && existsSync(JSON_FILE)
  ? JSON.parse(readFileSync(JSON_FILE, 'utf8'))
  : { machine: machine(), config, layered: [] };
if (process.env.BENCH_RESUME) (result.resumed ??= []).push({ at: new Date().toISOString(), loadavg: loadavg().map(round), config });
/** Written after every section, so an interrupted run keeps what it measured. */
const save = () => writeFileSync(JSON_FILE, JSON.stringify(result, null, 2) + '\n');

if (!result.startup) { result.startup = benchStartup(); save(); }
if (!result.imports) { result.imports = benchImports(); save(); }
SIZES.forEach(([l, w], i) => {
  if (result.layered.some((L) => L.layers === l && L.width === w)) return;
  result.layered.push(benchLayered(l, w, COLD_REPEATS[i] ?? COLD_REPEATS.at(-1)));
  result.layered.sort((a, b) => a.stages - b.stages);
  save();
});
if (!result.matrix) { result.matrix = benchMatrix(); save(); }
const big = result.layered.at(-1);
const small = result.layered[0];
const strip = ({ file: _f, ...p }) => p;
result.profiles = [
  profile(`dag status, ${big.stages} stages all cached (explicit)`, big.dir, ['status', 'dag.yaml', '--cache', 'cache-explicit']),
  profile(`dag status, ${big.stages} stages all cached (compact)`, big.dir, ['status', 'dag-compact.yaml', '--cache', 'cache-compact']),
  profile(`dag status, ${result.matrix.variants}-variant matrix`, result.matrix.dir, ['status', 'dag.yaml', '--cache', 'cache']),
  profile('dag status, 1-stage pipeline (start-up and module loading)', result.startup.dir, ['status', 'dag.yaml', '--cache', 'cache']),
  // The cold run's scheduler process (the stages' shells are not in this profile).
  (() => {
    rmSync(join(small.dir, 'out'), { recursive: true, force: true });
    rmSync(join(small.dir, 'cache-profile'), { recursive: true, force: true });
    return profile(`dag run --jobs 2, ${small.stages} stages cold (scheduler process)`, small.dir, ['run', 'dag.yaml', '--jobs', '2', '--cache', 'cache-profile']);
  })(),
].map(strip);
result.loadavgEnd = loadavg().map(round);
save();
const md = report(result);
writeFileSync(join(RESULTS, 'engine.md'), md);
process.stdout.write(md);
log('wrote bench/results/engine.md and engine.json');
