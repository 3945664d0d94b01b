// `dag compare` and `dag runs` on real runs of eval/classification over predictions the test writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writePredictions } from '../../src/artifacts/predictions.js';
import { dag, makeProject } from '../helpers/cli.js';
import type { Comparison } from '../../src/cli/compare.js';

/** Four rows of two classes; `right` of them predicted correctly (row i right iff i < right). */
function writePreds(dir: string, right: number): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const labels = Int32Array.from([0, 1, 0, 1]);
  const probs = Float32Array.from([...labels].flatMap((y, i) => {
    const p = i < right ? 0.9 : 0.2; // probability of the true class
    return y === 0 ? [p, 1 - p] : [1 - p, p];
  }));
  writePredictions(dir, { probs, rows: 4, numClasses: 2, labels, classes: ['cat', 'dog'], meta: {} });
}

const PIPELINE = [
  'stages:',
  '  eval:',
  '    node: eval/classification',
  '    inputs: {predictions: file:preds}',
  '  note:',
  '    cmd: [sh, -c, "echo \'##dag metrics {\\"lines\\": 3}\'"]',
].join('\n') + '\n';

test('dag compare shows eval metrics of several runs side by side; dag runs shows the headline', () => {
  const dir = makeProject({ 'p.yaml': PIPELINE });
  writePreds(join(dir, 'preds'), 2);
  let r = dag(dir, ['run', 'p.yaml', '--plain']);
  assert.equal(r.code, 0, r.stderr);
  writePreds(join(dir, 'preds'), 3);
  r = dag(dir, ['run', 'p.yaml', '--plain']);
  assert.equal(r.code, 0, r.stderr);

  r = dag(dir, ['compare', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const cmp = JSON.parse(r.stdout) as Comparison;
  assert.equal(cmp.runs.length, 2);
  const row = (stage: string, metric: string) => cmp.rows.find((x) => x.stage === stage && x.metric === metric)?.values;
  assert.deepEqual(row('eval', 'accuracy'), [0.5, 0.75]);
  assert.deepEqual(row('eval', 'balanced_accuracy'), [0.5, 0.75]);
  // The cmd stage was cached in the second run: its metrics still appear in both columns.
  assert.deepEqual(row('note', 'lines'), [3, 3]);

  r = dag(dir, ['compare', '--metric', '^eval\\.(accuracy|ece)$']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 3, r.stdout);
  assert.match(lines[0]!, new RegExp(`^stage\\s+metric\\s+${cmp.runs[0]!.id}\\s+${cmp.runs[1]!.id}\\s+Δ last-first$`));
  assert.match(lines[1]!, /^eval\s+accuracy\s+0\.5000\s+0\.7500\s+\+0\.2500$/);
  assert.match(lines[2]!, /^eval\s+ece\s/);

  // Naming runs picks and orders the columns.
  r = dag(dir, ['compare', 'last', cmp.runs[0]!.id.slice(0, 18), '--json', '--metric', 'eval.accuracy']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual((JSON.parse(r.stdout) as Comparison).rows[0]!.values, [0.75, 0.5]);

  r = dag(dir, ['runs']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /eval\.accuracy=0\.7500 eval\.balanced_accuracy=0\.7500/);
});

test('dag compare: an unknown run or a bad regex is one clear user error', () => {
  const dir = makeProject({ 'p.yaml': PIPELINE });
  writePreds(join(dir, 'preds'), 4);
  assert.equal(dag(dir, ['run', 'p.yaml', '--plain']).code, 0);
  let r = dag(dir, ['compare', 'nosuchrun']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no run "nosuchrun"/);
  r = dag(dir, ['compare', '--metric', '(']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--metric \(: not a regular expression/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});
