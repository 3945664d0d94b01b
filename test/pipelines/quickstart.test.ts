/**
 * pipelines/quickstart.yaml end to end with the real binary, offline, on the bundled drawings (a
 * smaller --set than the shipped defaults): the vote scores well above chance on the held-out test
 * drawings, the run ends by naming the accuracy and the report, and changing only the vote's
 * params reruns neither training nor prediction.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { dagAsync, history, makeProject, repoRoot } from '../helpers/cli.js';

const CLASSES = 5;
const SMALL = ['--set', `classes=${CLASSES}`, '--set', 'epochs=8', '--set', 'width=0.5', '--set', 'backend=wasm'];

test('quickstart: two CNNs and their vote learn the bundled classes; the run ends with the accuracy and the report path', async (t) => {
  const dir = makeProject({});
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(repoRoot, 'pipelines'), join(dir, 'pipelines'), { recursive: true });

  const first = await dagAsync(dir, ['run', 'pipelines/quickstart.yaml', '--plain', ...SMALL]).done;
  assert.equal(first.code, 0, first.stderr + first.stdout.slice(-2000));
  const run = history(dir).at(-1)! as unknown as { stages: { stageId: string; outcome: string; metrics?: Record<string, unknown> }[] };
  const evalMetrics = run.stages.find((s) => s.stageId === 'eval')!.metrics!;
  const accuracy = evalMetrics.accuracy as number;
  console.log(`quickstart (${CLASSES} classes): accuracy ${accuracy}, balanced ${evalMetrics.balanced_accuracy}`);
  assert.ok(accuracy >= 0.5, `vote accuracy ${accuracy} on held-out drawings (chance ${1 / CLASSES})`);
  assert.ok(evalMetrics.tail_acc !== undefined, 'head/middle/tail accuracy from the training counts');

  const report = join(dir, 'reports', 'quickstart', 'index.html');
  assert.ok(existsSync(report), 'the report is copied into the workspace');
  assert.match(readFileSync(report, 'utf8'), /<img /);
  const tail = first.stdout.trimEnd().split('\n').slice(-8).join('\n');
  assert.match(tail, /show .*accuracy .*report reports\/quickstart\/index\.html/);

  const rerun = await dagAsync(dir, ['run', 'pipelines/quickstart.yaml', '--plain', ...SMALL, '--set', 'space=logits']).done;
  assert.equal(rerun.code, 0, rerun.stderr);
  const outcomes = Object.fromEntries(history(dir).at(-1)!.stages.map((s) => [s.stageId, s.outcome]));
  for (const id of ['data', 'balance', 'train@1', 'train@2', 'predict@1', 'predict@2']) assert.equal(outcomes[id], 'cached', `${id} after changing the vote only`);
  assert.notEqual(outcomes.vote, 'cached');
});
