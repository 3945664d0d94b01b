#!/usr/bin/env node
// bench/lt100: the winning recipe (seed-replica, then seed-replica-semi with its pseudo-labels and
// noisy students) against best.yaml on QuickDraw-LT100, at the same compute budget, in one fresh
// cache; then a rerun of best with only an ensemble param changed; then the ablations
// (bench/lt100/ablate-*.yaml), whose training stages all come from that cache. Writes
// bench/results/lt100.{md,json}.
//   node bench/lt100/bench.mjs                     # fresh cache in $TMPDIR/dag-bench-lt100
//   node bench/lt100/bench.mjs --cache DIR --keep  # reuse a cache (runs may then hit it)
//   node bench/lt100/bench.mjs --cache DIR --resume # finish an interrupted bench: each run this cache's
//                                                   # history already holds (same argv, succeeded; the
//                                                   # latest) is taken from there, with its recorded wall
//                                                   # time; the ablations always run (from the cache)
// Run from the project root after `npm run build`. Quick, Draw! data: Google, CC BY 4.0.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const root = resolve(new URL('../..', import.meta.url).pathname);
const cache = resolve(option('--cache', join(tmpdir(), 'dag-bench-lt100')));
const resume = args.includes('--resume');
if (!args.includes('--keep') && !resume) rmSync(cache, { recursive: true, force: true });
mkdirSync(cache, { recursive: true });
const seedBudget = ['--params', 'bench/lt100/seed-budget.yaml'];
const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');
const loads = [];

const historyFile = join(cache, 'history.json');
const recorded = resume && existsSync(historyFile) ? JSON.parse(readFileSync(historyFile, 'utf8')).runs : [];

/** One `dag run`: its wall time and the run it recorded in the cache's history. */
function dag(label, pipeline, extra = [], { reusable = true } = {}) {
  const argv = [join(root, 'bin', 'dag.js'), 'run', pipeline, '--plain', '--cache', cache, ...extra];
  const same = JSON.stringify(argv.slice(1));
  const earlier = reusable && recorded.findLast((r) => r.status === 'succeeded' && JSON.stringify(r.argv) === same);
  if (earlier) {
    recorded.splice(recorded.indexOf(earlier), 1);
    const seconds = (Date.parse(earlier.finishedAt) - Date.parse(earlier.startedAt)) / 1000;
    console.log(`(from the history: dag ${argv.slice(1).join(' ')}, ${seconds.toFixed(1)} s)`);
    loads.push(`${label}: (recorded run)`);
    return { label, pipeline, seconds, run: earlier };
  }
  console.log(`$ dag ${argv.slice(1).join(' ')}`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, argv, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 1 << 28 });
  const seconds = (Date.now() - t0) / 1000;
  console.log(r.stdout.split('\n').filter((l) => !l.includes(' progress ')).slice(-12).join('\n'));
  if (r.status !== 0) throw new Error(`dag run ${pipeline} failed with code ${r.status}`);
  loads.push(`${label}: ${load()}`);
  const history = JSON.parse(readFileSync(join(cache, 'history.json'), 'utf8'));
  return { label, pipeline, seconds, run: history.runs.at(-1) };
}

const before = load();
const seed = dag('seed-replica', 'pipelines/seed-replica.yaml', seedBudget);
const semi = dag('seed-replica-semi', 'pipelines/seed-replica-semi.yaml', seedBudget);
const best = dag('best', 'pipelines/best.yaml');
const rerun = dag('best, rerun', 'pipelines/best.yaml', ['--set', 'space=probs']);
const ablations = [
  dag('ablations on the seed teachers', 'bench/lt100/ablate-seed.yaml', seedBudget, { reusable: false }),
  dag('ablations on the seed students', 'bench/lt100/ablate-seed-semi.yaml', seedBudget, { reusable: false }),
  dag('ablations of best', 'bench/lt100/ablate-best.yaml', [], { reusable: false }),
];

const TRAINING = /^(teacher|student|distill)\b/;
const stage = (r, id) => r.run.stages.find((s) => s.stageId === id);
const training = (r) => r.run.stages.filter((s) => TRAINING.test(s.stageId));
const imagesSeen = (s) => s.metrics?.images_seen ?? (s.metrics?.epochs_run ?? 0) * ((s.metrics?.train_rows ?? 0) + (s.metrics?.extra_rows ?? 0));
/** Everything a pipeline trained, including stages an earlier run of this bench computed for it. */
const budgetOf = (...runs) => {
  const seen = new Map();
  for (const r of runs) for (const s of training(r)) if (s.outcome !== 'cached' || !seen.has(s.stageId)) seen.set(s.stageId, s);
  return [...seen.values()].reduce((n, s) => n + imagesSeen(s), 0);
};
const scores = (m) => ({
  accuracy: m.accuracy, head: m.head_acc, middle: m.middle_acc, tail: m.tail_acc,
  balanced_accuracy: m.balanced_accuracy, macro_f1: m.macro_f1, ece: m.ece,
});
const row = (name, r, evalId, wallSeconds, images) => ({ name, ...scores(stage(r, evalId).metrics), wallSeconds, imagesSeen: images });

const main = [
  row('seed-replica: 2 teachers, probability vote', seed, 'eval', seed.seconds, budgetOf(seed)),
  row('seed-replica-semi: + pseudo-labels ≥ 0.4, 2 noisy students (the winning recipe)', semi, 'eval', seed.seconds + semi.seconds, budgetOf(seed, semi)),
  row('best: balanced ensemble', best, 'eval', best.seconds, budgetOf(best)),
  row('best: its distilled single student', best, 'eval_distilled', best.seconds, budgetOf(best)),
];
/** What each evaluation of the ablation pipelines scores (their eval stages' `name` params). */
const VARIANTS = {
  'bench/lt100/ablate-seed.yaml': {
    eval: 'seed teachers: probability vote (= seed-replica)',
    eval_logits: 'seed teachers: logit vote',
    eval_sinkhorn: 'seed teachers: probability vote + balanced assignment',
    eval_tta_sinkhorn: 'seed teachers: mirror TTA + logit vote + balanced assignment',
  },
  'bench/lt100/ablate-seed-semi.yaml': {
    eval: 'seed noisy students: probability vote (= seed-replica-semi)',
    eval_sinkhorn: 'seed noisy students: probability vote + balanced assignment',
  },
  'bench/lt100/ablate-best.yaml': {
    eval: 'best: balanced teachers, mirror TTA, logit vote, balanced assignment (= best)',
    eval_no_assign: 'best without balanced assignment',
    eval_no_tta: 'best without mirror TTA',
    eval_single: 'best with one teacher (seed 1)',
    eval_distilled: 'best: distilled student, balanced assignment',
    eval_distilled_raw: 'best: distilled student without balanced assignment',
  },
};
const ablationRows = ablations.flatMap((a) =>
  a.run.stages
    .filter((s) => s.stageId.startsWith('eval') && s.metrics?.accuracy !== undefined)
    .map((s) => ({ name: VARIANTS[a.pipeline]?.[s.stageId] ?? `${a.pipeline}: ${s.stageId}`, source: a.label, ...scores(s.metrics) })),
);
const trainingIds = training(best).map((s) => s.stageId).concat(best.run.stages.filter((s) => s.stageId.startsWith('predict')).map((s) => s.stageId));
const rerunOutcomes = Object.fromEntries(rerun.run.stages.map((s) => [s.stageId, s.outcome]));
const reference = Math.max(main[0].accuracy, main[1].accuracy);
const result = {
  date: new Date().toISOString(),
  machine: `${cpus().length} cores (${cpus()[0]?.model ?? '?'})`,
  commit: spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim(),
  loadAverage: { before, after: loads },
  main,
  ablations: ablationRows,
  rerun: {
    change: '--set space=probs (best\'s vote averages probabilities instead of logits)',
    wallSeconds: rerun.seconds,
    cached: `${trainingIds.filter((id) => rerunOutcomes[id] === 'cached').length}/${trainingIds.length}`,
    ran: rerun.run.stages.filter((s) => s.outcome !== 'cached').map((s) => s.stageId),
    accuracy: stage(rerun, 'eval').metrics.accuracy,
  },
  targets: {
    bestOverRecipePoints: 100 * (main[2].accuracy - reference),
    distilledBelowEnsemblePoints: 100 * (main[2].accuracy - main[3].accuracy),
    bestWallMinutes: best.seconds / 60,
    rerunSeconds: rerun.seconds,
  },
};

const pct = (x) => (typeof x === 'number' ? (100 * x).toFixed(1) : 'n/a');
const tableRow = (r, extra) => `| ${r.name} | ${pct(r.accuracy)} | ${pct(r.head)} | ${pct(r.middle)} | ${pct(r.tail)} | ${pct(r.balanced_accuracy)} | ${pct(r.macro_f1)} | ${r.ece?.toFixed(3)} |${extra}`;
const t = result.targets;
const met = (ok) => (ok ? 'met' : '**not met**');
const md = `# bench/lt100 — the winning recipe against best.yaml on QuickDraw-LT100

\`node bench/lt100/bench.mjs\` at ${result.date.slice(0, 16)} UTC, commit ${result.commit}, ${result.machine}, CPU only (wasm backend).
Load average (1, 5, 15 min) before: ${before}; after each run: ${loads.join('; ')}.

Data: Google's Quick, Draw! (https://quickdraw.withgoogle.com/data, CC BY 4.0), QuickDraw-LT100 from
\`../shared/data/quickdraw\`: 100 classes, 200 → 2 training drawings per class (10,100), scored on the
10,000 balanced test drawings (100 per class); head / middle / tail = thirds of the classes by training
count. Nothing is tuned on test labels: the test images enter only unlabelled (pseudo-labels,
distillation, balanced assignment to the known uniform prior).

Budget: both sides train mobile2 (MobileNetV2) at width 0.5 and see about the same number of training
images (column "images"); \`bench/lt100/seed-budget.yaml\` says how the recipe was scaled down to fit.

| pipeline | accuracy % | head | middle | tail | balanced acc | macro-F1 | ECE | wall | images |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${main.map((r) => tableRow(r, ` ${(r.wallSeconds / 60).toFixed(1)} min | ${r.imagesSeen.toLocaleString('en')} |`)).join('\n')}

Targets (issue 6):

| target | reached | |
| --- | --- | --- |
| best ≥ the recipe + 5 points | ${t.bestOverRecipePoints >= 0 ? '+' : ''}${t.bestOverRecipePoints.toFixed(1)} points | ${met(t.bestOverRecipePoints >= 5)} |
| distilled student within 1 point of its ensemble | ${t.distilledBelowEnsemblePoints.toFixed(1)} points below | ${met(t.distilledBelowEnsemblePoints <= 1)} |
| best end to end ≤ 60 min | ${t.bestWallMinutes.toFixed(1)} min | ${met(t.bestWallMinutes <= 60)} |
| rerun after an ensemble param change ≤ 30 s | ${t.rerunSeconds.toFixed(1)} s (${result.rerun.change}; training and prediction stages cached ${result.rerun.cached}; ran ${result.rerun.ran.join(', ')}) | ${met(t.rerunSeconds <= 30)} |

## Ablations

Post-hoc levers added to the recipe's own networks, and removed from best's, one at a time. Every
training stage comes from the cache of the runs above.

| variant | accuracy % | head | middle | tail | balanced acc | macro-F1 | ECE |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${ablationRows.map((r) => tableRow(r, '')).join('\n')}
`;
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, 'bench', 'results', 'lt100.json'), JSON.stringify(result, null, 2) + '\n');
writeFileSync(join(root, 'bench', 'results', 'lt100.md'), md);
console.log(md);
if (!existsSync(join(cache, 'history.json'))) process.exit(1);
