import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { balancedClassWeights, classPriors, makeLoss, softCrossEntropy } from '../../src/ml/losses.js';
import { useTestBackend } from './train-helpers.js';

await useTestBackend();

const logits = tf.tensor2d([
  [2.0, -1.0, 0.5],
  [0.1, 0.2, 3.0],
  [-2.0, 1.5, 1.0],
]);
const labels = [0, 2, 1];
const oneHot = tf.oneHot(tf.tensor1d(labels, 'int32'), 3).toFloat() as tf.Tensor2D;

/** Reference cross-entropy computed in float64 from the raw numbers. */
function referenceCe(rows: number[][], targets: number[][]): number[] {
  return rows.map((z, i) => {
    const m = Math.max(...z);
    const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
    return -targets[i]!.reduce((s, t, c) => s + t * (z[c]! - lse), 0);
  });
}
const rows = logits.arraySync();
const hard = labels.map((y) => [0, 1, 2].map((c) => (c === y ? 1 : 0)));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-5, `${what}: ${a} vs ${b}`);

test('cross-entropy equals the float64 reference and tf.losses.softmaxCrossEntropy', () => {
  const loss = makeLoss({}, 3)(logits, oneHot).dataSync()[0]!;
  close(loss, mean(referenceCe(rows, hard)), 'reference');
  close(loss, tf.losses.softmaxCrossEntropy(oneHot, logits).dataSync()[0]!, 'tfjs');
});

test('label smoothing mixes in the uniform distribution', () => {
  const eps = 0.1;
  const smooth = hard.map((t) => t.map((v) => v * (1 - eps) + eps / 3));
  close(makeLoss({ labelSmoothing: eps }, 3)(logits, oneHot).dataSync()[0]!, mean(referenceCe(rows, smooth)), 'smoothed');
});

test('soft targets (distillation, pseudo-labels) are used as given', () => {
  const soft = [
    [0.7, 0.2, 0.1],
    [0.1, 0.1, 0.8],
    [0.3, 0.4, 0.3],
  ];
  close(makeLoss({}, 3)(logits, tf.tensor2d(soft)).dataSync()[0]!, mean(referenceCe(rows, soft)), 'soft');
  assert.deepEqual(softCrossEntropy(logits, tf.tensor2d(soft)).shape, [3]);
});

test('class weights and sample weights scale each sample, averaged over the batch', () => {
  const ce = referenceCe(rows, hard);
  const classWeights = [1, 3, 0.5];
  const sample = [1, 0.5, 2];
  const expected = mean(ce.map((l, i) => l * classWeights[labels[i]!]! * sample[i]!));
  const loss = makeLoss({ classWeights }, 3)(logits, oneHot, tf.tensor1d(sample)).dataSync()[0]!;
  close(loss, expected, 'weighted');
  // `balanced`: N / (C * count_c) from the training class counts.
  assert.deepEqual(Array.from(balancedClassWeights([6, 3, 0])), [0.5, 1, 0]);
  const balanced = makeLoss({ classWeights: 'balanced' }, 3, [6, 3, 1])(logits, oneHot).dataSync()[0]!;
  const w = [10 / 18, 10 / 9, 10 / 3];
  close(balanced, mean(ce.map((l, i) => l * w[labels[i]!]!)), 'balanced');
});

test('balanced softmax and logit adjustment add tau * log(prior) to the logits', () => {
  const counts = [80, 15, 5];
  const prior = counts.map((c) => c / 100);
  const shifted = (tau: number) => rows.map((z) => z.map((v, c) => v + tau * Math.log(prior[c]!)));
  const bs = makeLoss({ kind: 'balanced-softmax' }, 3, counts)(logits, oneHot).dataSync()[0]!;
  close(bs, mean(referenceCe(shifted(1), hard)), 'balanced softmax');
  const la = makeLoss({ kind: 'logit-adjusted', tau: 2 }, 3, counts)(logits, oneHot).dataSync()[0]!;
  close(la, mean(referenceCe(shifted(2), hard)), 'logit adjusted');
  assert.deepEqual(Array.from(classPriors([1, 3])), [0.25, 0.75]);
});

test('class weights of the wrong length are a user error', () => {
  assert.throws(() => makeLoss({ classWeights: [1, 2] }, 3), /2 entries for 3 classes/);
});
