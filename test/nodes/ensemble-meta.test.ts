import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runNodeInProcess } from '../../src/exec/node-runner.js';
import { NodeUserError, type InputArtifact } from '../../src/exec/node-contract.js';
import { readPredictions } from '../../src/artifacts/predictions.js';
import { accuracy } from '../../src/ensemble/probability.js';
import { stratifiedFolds } from '../../src/ensemble/stacking.js';
import metaLearner from '../../nodes/ensemble/meta-learner.js';
import { longTailedRows, lt100Classes, nodeDirs, pixelMembers, predictionsArtifact, type MemberArtifacts } from './ensemble-fixtures.js';

const classes = lt100Classes.slice(0, 6);
let members: MemberArtifacts[] = [];

before(() => {
  members = pixelMembers(classes);
});

async function stack(params: unknown, val: InputArtifact[], testInputs: InputArtifact[], tag: string) {
  const r = await runNodeInProcess(metaLearner, { params, inputs: { val, test: testInputs }, ...nodeDirs(tag) });
  return { test: readPredictions(r.outputs.predictions!), val: readPredictions(r.outputs.val!), metrics: r.metrics, dir: r.outputs.predictions! };
}

/** The member's logits with `shift(logits row, label)` applied to every row: a systematically wrong member. */
function distorted(a: InputArtifact, name: string, shift: (row: Float32Array) => Float32Array): InputArtifact {
  const p = readPredictions(a.path);
  const out = new Float32Array(p.logits!.length);
  for (let r = 0; r < p.rows; r++) out.set(shift(p.logits!.subarray(r * 6, (r + 1) * 6)), r * 6);
  return predictionsArtifact(name, out, p.labels, p.classes);
}

test('stratified folds: every class spread evenly over the folds, unlabeled rows in none', () => {
  const labels = Int32Array.from({ length: 53 }, (_, i) => (i === 7 ? -1 : i % 3));
  const fold = stratifiedFolds(labels, 5, 1);
  assert.equal(fold[7], -1);
  for (let c = 0; c < 3; c++) {
    const sizes = [0, 0, 0, 0, 0];
    labels.forEach((l, r) => l === c && sizes[fold[r]!]!++);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `class ${c}: ${sizes}`);
  }
  assert.deepEqual(stratifiedFolds(labels, 5, 1), fold);
  assert.notDeepEqual(stratifiedFolds(labels, 5, 2), fold);
});

test('diagonal stacking undoes a member\'s bias towards one class, judged out of fold', async (t) => {
  // The best member, pushed towards class 0 on every row: it loses most of its accuracy.
  const bias = (row: Float32Array) => Float32Array.from(row, (z, c) => (c === 0 ? z + 6 : z));
  const val = [distorted(members[0]!.val, 'biased-val', bias), members[1]!.val];
  const testIn = [distorted(members[0]!.test, 'biased-test', bias), members[1]!.test];
  const out = await stack({}, val, testIn, 'meta-bias');
  const biasedAcc = accuracy(readPredictions(testIn[0]!.path).probs, out.test.labels, 6)!;
  const cleanAcc = accuracy(readPredictions(members[0]!.test.path).probs, out.test.labels, 6)!;
  const stackedAcc = out.metrics.accuracy as number;
  t.diagnostic(`test accuracy: biased member ${biasedAcc.toFixed(3)}, unbiased ${cleanAcc.toFixed(3)}, stacked ${stackedAcc}; val cv ${out.metrics.val_cv_accuracy}, val average ${out.metrics.val_average_accuracy}`);
  assert.ok(biasedAcc < 0.45, `the bias should hurt: ${biasedAcc}`);
  assert.ok(stackedAcc > biasedAcc + 0.2, `stacked ${stackedAcc} vs biased ${biasedAcc}`);
  assert.ok((out.metrics.val_cv_accuracy as number) > (out.metrics.val_average_accuracy as number));
  // The validation output is out of fold: its accuracy is the reported cross-validated one.
  assert.ok(Math.abs(accuracy(out.val.probs, out.val.labels, 6)! - (out.metrics.val_cv_accuracy as number)) < 1e-6);
});

test('full stacking learns a member that names the wrong class consistently (a label permutation)', async (t) => {
  const rotate = (row: Float32Array) => Float32Array.from(row, (_, c) => row[(c + 5) % 6]!); // predicts y+1
  const val = [distorted(members[0]!.val, 'rot-val', rotate)];
  const testIn = [distorted(members[0]!.test, 'rot-test', rotate)];
  const memberAcc = accuracy(readPredictions(testIn[0]!.path).probs, readPredictions(testIn[0]!.path).labels, 6)!;
  const diag = await stack({}, val, testIn, 'meta-rot-diag');
  const full = await stack({ structure: 'full', l2: 0.001 }, val, testIn, 'meta-rot-full');
  t.diagnostic(`test accuracy: rotated member ${memberAcc.toFixed(3)}, diagonal ${diag.metrics.accuracy}, full ${full.metrics.accuracy} (val cv ${full.metrics.val_cv_accuracy})`);
  assert.ok(memberAcc < 0.2);
  assert.ok((full.metrics.accuracy as number) > 0.55, `full stacking: ${full.metrics.accuracy}`);
  assert.ok((full.metrics.val_cv_accuracy as number) > 0.55);
  assert.ok((diag.metrics.accuracy as number) < (full.metrics.accuracy as number));
});

test('meta-learner on four honest members: deterministic, well above chance; too few labeled rows is a user error', async (t) => {
  const val = members.map((m) => m.val);
  const testIn = members.map((m) => m.test);
  const a = await stack({ seed: 3 }, val, testIn, 'meta-a');
  const b = await stack({ seed: 3 }, val, testIn, 'meta-b');
  t.diagnostic(`val cv ${a.metrics.val_cv_accuracy}, val average ${a.metrics.val_average_accuracy}, best member ${a.metrics.best_member_val_accuracy}, test ${a.metrics.accuracy}`);
  assert.deepEqual(readFileSync(join(a.dir, 'probs.npy')), readFileSync(join(b.dir, 'probs.npy')));
  assert.ok((a.metrics.accuracy as number) > 0.6);
  assert.equal(a.test.meta.ensemble, 'meta-learner');
  await assert.rejects(stack({ folds: 1 }, val, testIn, 'meta-bad'), NodeUserError);
  const tiny = readPredictions(members[0]!.val.path);
  const few = predictionsArtifact('few', tiny.logits!, Int32Array.from(tiny.labels, (l, i) => (i < 3 ? l : -1)), classes);
  await assert.rejects(stack({}, [few], [members[0]!.test], 'meta-few'), (e: Error) => e instanceof NodeUserError && /3 labeled rows, fewer than folds \(5\)/.test(e.message));
});

test('class-balanced stacking on a long-tailed validation split predicts the tail classes more often', async (t) => {
  const counts = [60, 36, 20, 10, 6, 4];
  const val = members.map((m, i) => longTailedRows(m.val, `lt-val-${i}`, counts));
  const testIn = members.map((m) => m.test);
  const plain = await stack({}, val, testIn, 'meta-lt-plain');
  const balanced = await stack({ classBalanced: true }, val, testIn, 'meta-lt-balanced');
  const tailShare = (p: { probs: Float32Array; rows: number }) => {
    let n = 0;
    for (let r = 0; r < p.rows; r++) {
      let best = 0;
      for (let c = 1; c < 6; c++) if (p.probs[r * 6 + c]! > p.probs[r * 6 + best]!) best = c;
      if (best >= 4) n++;
    }
    return n / p.rows;
  };
  t.diagnostic(`test tail share ${tailShare(plain.test).toFixed(3)} → ${tailShare(balanced.test).toFixed(3)}; test balanced accuracy ${plain.metrics.balanced_accuracy} → ${balanced.metrics.balanced_accuracy}`);
  assert.ok(tailShare(balanced.test) > tailShare(plain.test));
  assert.equal(balanced.test.meta.classBalanced, true);
});
