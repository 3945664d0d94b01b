import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runNodeInProcess } from '../../src/exec/node-runner.js';
import { NodeUserError } from '../../src/exec/node-contract.js';
import { writePredictions } from '../../src/artifacts/predictions.js';
import { writeDataset } from '../../src/data/dataset.js';
import { argmaxRows, thirdsByCount } from '../../src/eval/classification.js';
import type { MetricsFile } from '../../src/eval/metrics-file.js';
import evalNode from '../../nodes/eval/classification.js';
import { artifact, nearestClassMean, scratchDir } from './eval-fixtures.js';

// Eight rows, three classes; row 6 is unlabeled. Worked by hand in the comments of each assertion.
const HAND = {
  classes: ['a', 'b', 'c'],
  labels: [0, 0, 0, 1, 1, 2, -1, 2],
  probs: [
    [0.7, 0.2, 0.1], // a → a, conf .70
    [0.65, 0.25, 0.1], // a → a, conf .65
    [0.2, 0.5, 0.3], // a → b, conf .50
    [0.1, 0.85, 0.05], // b → b, conf .85
    [0.08, 0.1, 0.82], // b → c, conf .82
    [0.05, 0.05, 0.9], // c → c, conf .90
    [1, 0, 0], // unlabeled: ignored
    [0.3, 0.45, 0.25], // c → b, conf .45
  ],
};

function writeHand(dir: string, labels = HAND.labels, meta: Record<string, unknown> = {}): string {
  mkdirSync(dir, { recursive: true });
  writePredictions(dir, { probs: Float32Array.from(HAND.probs.flat()), rows: 8, numClasses: 3, labels: Int32Array.from(labels), classes: HAND.classes, meta });
  return dir;
}

function writeTrain(dir: string, classes: string[], counts: number[]): string {
  mkdirSync(dir, { recursive: true });
  const labels = Int32Array.from(counts.flatMap((n, c) => new Array<number>(n).fill(c)));
  writeDataset(dir, { images: new Uint8Array(labels.length * 4), count: labels.length, height: 2, width: 2, labels, classes, meta: { source: 'test', split: 'train' } });
  return dir;
}

async function evaluate(root: string, preds: string, train?: string) {
  const r = await runNodeInProcess(evalNode, {
    params: {}, outputRoot: join(root, 'out'), resumeDir: join(root, 'resume'),
    inputs: { predictions: [artifact(preds)], ...(train ? { train: [artifact(train)] } : {}) },
  });
  const file = JSON.parse(readFileSync(join(r.outputs.metrics!, 'metrics.json'), 'utf8')) as MetricsFile;
  return { metrics: r.metrics, file };
}

const close = (actual: unknown, expected: number, what: string) => assert.ok(Math.abs((actual as number) - expected) < 1e-6, `${what}: ${String(actual)} ≠ ${expected}`);

test('hand-worked example: accuracy, balanced accuracy, macro-F1, thirds, ECE and confusion matrix', async () => {
  const root = scratchDir('hand');
  // Training counts by name in another order than the predictions' classes: b 50, a 10, c 2 → head b, middle a, tail c.
  const train = writeTrain(join(root, 'train'), ['c', 'b', 'a'], [2, 50, 10]);
  const { metrics, file } = await evaluate(root, writeHand(join(root, 'preds')), train);
  close(metrics.accuracy, 4 / 7, 'accuracy'); // 4 right of 7 labeled
  close(metrics.balanced_accuracy, (2 / 3 + 1 / 2 + 1 / 2) / 3, 'balanced accuracy'); // recalls a 2/3, b 1/2, c 1/2
  // F1 = 2tp/(support+predicted): a 4/5, b 2/5, c 2/4
  close(metrics.macro_f1, (0.8 + 0.4 + 0.5) / 3, 'macro-F1');
  close(metrics.head_acc, 1 / 2, 'head (b)');
  close(metrics.middle_acc, 2 / 3, 'middle (a)');
  close(metrics.tail_acc, 1 / 2, 'tail (c)');
  // 15 bins: every confidence alone in its bin except .85 and .82 (bin 12: accuracy .5, confidence .835).
  close(metrics.ece, ((0.3 + 0.35 + 0.5 + 0.1 + 0.45) + 2 * 0.335) / 7, 'ECE');
  assert.deepEqual(file.confusion, [[2, 1, 0], [0, 1, 1], [0, 1, 1]]);
  assert.deepEqual(file.groups, { head: [1], middle: [0], tail: [2] });
  assert.equal(file.labeled, 7);
  assert.equal(file.rows, 8);
  assert.deepEqual(file.perClass.map((s) => [s.name, s.support, s.predicted, s.trainCount, s.group]), [['a', 3, 2, 10, 'middle'], ['b', 2, 3, 50, 'head'], ['c', 2, 2, 2, 'tail']]);
  assert.equal(file.reliability.length, 15);
  assert.deepEqual(file.reliability.map((b) => b.count), [0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 1, 0, 2, 1, 0]);
  assert.equal(file.trainCountsFrom, 'train dataset');
  assert.deepEqual(Object.keys(metrics), ['accuracy', 'balanced_accuracy', 'macro_f1', 'head_acc', 'middle_acc', 'tail_acc', 'ece']);
});

test('training counts from the predictions meta; without any, no head/middle/tail', async () => {
  const root = scratchDir('meta');
  const withMeta = await evaluate(join(root, 'm'), writeHand(join(root, 'p1'), HAND.labels, { trainCountsPerClass: { a: 5, b: 1, c: 9 } }));
  // c 9 → head, a 5 → middle, b 1 → tail
  close(withMeta.metrics.head_acc, 1 / 2, 'head (c)');
  close(withMeta.metrics.tail_acc, 1 / 2, 'tail (b)');
  close(withMeta.metrics.middle_acc, 2 / 3, 'middle (a)');
  assert.equal(withMeta.file.trainCountsFrom, 'predictions meta');
  const bare = await evaluate(join(root, 'b'), writeHand(join(root, 'p2')));
  assert.equal('head_acc' in bare.metrics, false);
  assert.equal(bare.file.head_acc, null);
  close(bare.metrics.accuracy, 4 / 7, 'accuracy');
});

test('user errors: no labeled rows; a non-finite probability; a train set lacking a class', async () => {
  const root = scratchDir('errors');
  await assert.rejects(evaluate(join(root, 'u'), writeHand(join(root, 'p1'), new Array(8).fill(-1))), (e: unknown) => e instanceof NodeUserError && /no labeled rows/.test(e.message) && /labels\.npy/.test(e.message));
  const nanDir = writeHand(join(root, 'p3'));
  const probs = HAND.probs.flat();
  probs[3 * 3 + 1] = NaN;
  writePredictions(nanDir, { probs: Float32Array.from(probs), rows: 8, numClasses: 3, labels: Int32Array.from(HAND.labels), classes: HAND.classes, meta: {} });
  await assert.rejects(evaluate(join(root, 'n'), nanDir), (e: unknown) => e instanceof NodeUserError && /probs\.npy: non-finite probability at row 3, class b/.test(e.message));
  const train = writeTrain(join(root, 'train'), ['a', 'b'], [3, 3]);
  await assert.rejects(evaluate(join(root, 't'), writeHand(join(root, 'p2')), train), (e: unknown) => e instanceof NodeUserError && /class "c"/.test(e.message));
});

test('thirds split 100 classes 33/34/33 by count, ties in label order', () => {
  const counts = Array.from({ length: 100 }, (_, i) => 200 - 2 * i);
  const g = thirdsByCount(counts);
  assert.deepEqual([g.head.length, g.middle.length, g.tail.length], [33, 34, 33]);
  assert.deepEqual([g.head[0], g.head.at(-1), g.tail[0], g.tail.at(-1)], [0, 32, 67, 99]);
  assert.deepEqual(thirdsByCount([5, 5, 5, 5, 5]), { head: [0, 1], middle: [2], tail: [3, 4] });
});

test('nearest class mean on real Quick, Draw! drawings: well above chance, metrics agree with the confusion matrix', async () => {
  const root = scratchDir('ncm');
  const fx = nearestClassMean(root, [120, 80, 50, 30, 15, 6], 40);
  const { metrics, file } = await evaluate(root, fx.predsDir, fx.trainDir);
  const C = fx.classes.length;
  assert.ok((metrics.accuracy as number) > 2 / C, `accuracy ${String(metrics.accuracy)} not well above chance 1/${C}`);
  // Recompute from the raw probabilities, independently of the confusion matrix.
  const pred = argmaxRows(fx.predictions.probs, fx.predictions.rows, C);
  let right = 0;
  for (let r = 0; r < pred.length; r++) if (pred[r] === fx.predictions.labels[r]) right++;
  close(metrics.accuracy, right / pred.length, 'accuracy vs argmax');
  const diag = file.confusion.reduce((s, row, i) => s + row[i]!, 0);
  assert.equal(diag, right);
  assert.equal(file.confusion.flat().reduce((a, b) => a + b, 0), 240);
  // Balanced test set: balanced accuracy equals accuracy; head = the two most trained classes.
  close(metrics.balanced_accuracy, metrics.accuracy as number, 'balanced = plain on a balanced test set');
  assert.deepEqual(file.groups, { head: [0, 1], middle: [2, 3], tail: [4, 5] });
  const groupAcc = (cs: number[]) => cs.reduce((s, c) => s + file.confusion[c]![c]!, 0) / (cs.length * 40);
  close(metrics.head_acc, groupAcc([0, 1]), 'head');
  close(metrics.tail_acc, groupAcc([4, 5]), 'tail');
  assert.ok((metrics.ece as number) >= 0 && (metrics.ece as number) <= 1);
  assert.equal(file.name, 'nearest class mean');
});
