#!/usr/bin/env node
// bench/lt100-seed: runs pipelines/seed-replica.yaml on QuickDraw-LT100 (../shared/data/quickdraw)
// in a fresh cache, then reruns it with only the vote's params changed, and writes the table to
// bench/results/lt100-seed.{md,json}.
//   node bench/lt100-seed/bench.mjs                       # the budget in bench/lt100-seed/budget.yaml
//   node bench/lt100-seed/bench.mjs --full                # the published recipe (hours on 2 cores)
//   node bench/lt100-seed/bench.mjs --cache DIR --keep    # reuse a cache (then the first run may hit)
//   node bench/lt100-seed/bench.mjs --tables-only         # rewrite the tables from the last two runs in the cache
// Run from the project root after `npm run build`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const root = resolve(new URL('../..', import.meta.url).pathname);
const cache = resolve(option('--cache', join(tmpdir(), 'dag-bench-lt100-seed')));
const full = flag('--full');
const budgetFile = 'bench/lt100-seed/budget.yaml';
const pipeline = 'pipelines/seed-replica.yaml';
const tablesOnly = flag('--tables-only');
if (!flag('--keep') && !tablesOnly) rmSync(cache, { recursive: true, force: true });
mkdirSync(cache, { recursive: true });

const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');
function dag(extra) {
  const argv = [join(root, 'bin', 'dag.js'), 'run', pipeline, '--plain', '--cache', cache, ...(full ? [] : ['--params', budgetFile]), ...extra];
  console.log(`$ dag ${argv.slice(1).join(' ')}`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, argv, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 1 << 28 });
  const seconds = (Date.now() - t0) / 1000;
  const tail = r.stdout.split('\n').filter((l) => !l.includes(' progress ')).slice(-25).join('\n');
  console.log(tail);
  if (r.status !== 0) throw new Error(`dag run failed with code ${r.status}`);
  const history = JSON.parse(readFileSync(join(cache, 'history.json'), 'utf8'));
  return { seconds, run: history.runs.at(-1) };
}

/** A run recorded in the cache's history, with its wall time. */
function recorded(run) {
  return { seconds: (Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000, run };
}
const previous = tablesOnly ? JSON.parse(readFileSync(join(root, 'bench', 'results', 'lt100-seed.json'), 'utf8')) : null;
const before = previous ? previous.loadAverage.before : load();
const first = tablesOnly ? recorded(JSON.parse(readFileSync(join(cache, 'history.json'), 'utf8')).runs.at(-2)) : dag([]);
const afterFirst = previous ? previous.loadAverage.afterFirstRun : load();
const second = tablesOnly ? recorded(JSON.parse(readFileSync(join(cache, 'history.json'), 'utf8')).runs.at(-1)) : dag(['--set', 'space=logits']);
const afterSecond = previous ? previous.loadAverage.afterRerun : load();

/** Provenance of a stage's cached result (the action entry names the backend that computed it). */
function provenance(stage) {
  try {
    const entry = JSON.parse(readFileSync(join(cache, 'actions', stage.key.slice(0, 2), `${stage.key.slice(2)}.json`), 'utf8'));
    return entry.provenance ?? {};
  } catch {
    return {};
  }
}

const stage = (run, id) => run.stages.find((s) => s.stageId === id);
const ev = stage(first.run, 'eval').metrics;
const teachers = first.run.stages.filter((s) => s.stageId.startsWith('teacher@'));
const trainingIds = first.run.stages.filter((s) => /^(data|balance|teacher@|predict@)/.test(s.stageId)).map((s) => s.stageId);
const rerunOutcomes = Object.fromEntries(second.run.stages.map((s) => [s.stageId, s.outcome]));
const rerunHits = trainingIds.filter((id) => rerunOutcomes[id] === 'cached');
const rerunRan = second.run.stages.filter((s) => s.outcome !== 'cached').map((s) => s.stageId);
const ev2 = stage(second.run, 'eval').metrics;
const budget = full ? 'published recipe' : readFileSync(join(root, budgetFile), 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).join(', ');
const result = {
  date: new Date().toISOString(),
  machine: `${cpus().length} cores (${cpus()[0]?.model ?? '?'})`,
  loadAverage: { before, afterFirstRun: afterFirst, afterRerun: afterSecond },
  budget,
  backend: teachers.map((t) => { const p = provenance(t); return p.backend ? `${p.backend} (${p.device})` : undefined; }).filter(Boolean)[0] ?? 'unknown',
  accuracy: ev.accuracy,
  head_acc: ev.head_acc,
  middle_acc: ev.middle_acc,
  tail_acc: ev.tail_acc,
  balanced_accuracy: ev.balanced_accuracy,
  macro_f1: ev.macro_f1,
  ece: ev.ece,
  teachers: teachers.map((t) => ({ id: t.stageId, seconds: t.durationMs / 1000, images_per_s: t.metrics.images_per_s, epochs: t.metrics.epochs_run, train_accuracy: t.metrics.accuracy })),
  predict: first.run.stages.filter((s) => s.stageId.startsWith('predict@')).map((s) => ({ id: s.stageId, seconds: s.durationMs / 1000, accuracy: s.metrics.accuracy })),
  wallSeconds: first.seconds,
  rerun: { change: '--set space=logits (the vote averages logits instead of probabilities)', wallSeconds: second.seconds, trainingStagesCached: `${rerunHits.length}/${trainingIds.length}`, ran: rerunRan, accuracy: ev2.accuracy, balanced_accuracy: ev2.balanced_accuracy },
};
const pct = (x) => (typeof x === 'number' ? (100 * x).toFixed(1) : 'n/a');
const rowsPerEpoch = stage(first.run, 'balance')?.metrics?.rows;
const md = `# bench/lt100-seed — seed-replica on QuickDraw-LT100

\`node bench/lt100-seed/bench.mjs\` on ${result.date.slice(0, 16)} UTC, ${result.machine}, backend ${result.backend}.
Load average (1, 5, 15 min): ${before} before, ${afterFirst} after the run, ${afterSecond} after the rerun —
the machine is shared, so times are noisy and much slower than on an idle machine.

Budget: ${full ? 'the published recipe (pipelines/seed-replica.yaml defaults)' : `**reduced** — \`${budgetFile}\`: ${budget}`}.
Rows per epoch after oversampling: ${rowsPerEpoch ?? '?'}.
Test: the 10,000 balanced LT100 test drawings (100 per class); head / middle / tail = thirds of the
classes by training count. Data: Google's Quick, Draw! (CC BY 4.0).

| overall acc | head | middle | tail | balanced acc | macro-F1 | ECE | wall time | images/s per teacher |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
| ${pct(ev.accuracy)}% | ${pct(ev.head_acc)}% | ${pct(ev.middle_acc)}% | ${pct(ev.tail_acc)}% | ${pct(ev.balanced_accuracy)}% | ${pct(ev.macro_f1)}% | ${ev.ece?.toFixed(3)} | ${first.seconds.toFixed(0)} s | ${result.teachers.map((t) => t.images_per_s).join(', ')} |

Teachers: ${result.teachers.map((t) => `${t.id} ${t.seconds.toFixed(0)} s (${t.epochs} epochs)`).join('; ')}.
Predictions on the test set: ${result.predict.map((p) => `${p.id} ${p.seconds.toFixed(0)} s, acc ${pct(p.accuracy)}%`).join('; ')}.

**Rerun with only the vote changed** (${result.rerun.change}): ${second.seconds.toFixed(1)} s wall,
training and prediction stages cached ${result.rerun.trainingStagesCached}; ran: ${rerunRan.join(', ')};
accuracy ${pct(ev2.accuracy)}%, balanced ${pct(ev2.balanced_accuracy)}%.
`;
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, 'bench', 'results', 'lt100-seed.json'), JSON.stringify(result, null, 2) + '\n');
writeFileSync(join(root, 'bench', 'results', 'lt100-seed.md'), md);
console.log(md);
if (!existsSync(join(cache, 'history.json'))) process.exit(1);
