/**
 * semi/pseudo-label on a real long-tailed case: a tiny CNN trained on six Quick, Draw! classes with
 * 150 → 6 training drawings per class predicts a balanced test set (and its mirror image, as a
 * second teacher); the node must select by threshold exactly, balance per class, pull a head-biased
 * teacher towards the balanced prior, and feed train/classifier as extra rows.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import train from '../../nodes/train/classifier.js';
import predict from '../../nodes/predict/classifier.js';
import quickdraw from '../../nodes/data/quickdraw.js';
import pseudoLabel from '../../nodes/semi/pseudo-label.js';
import { readPredictions, type Predictions } from '../../src/artifacts/predictions.js';
import { readDataset } from '../../src/data/dataset.js';
import { readNpy } from '../../src/data/npy.js';
import { NodeUserError, type InputArtifact } from '../../src/exec/node-contract.js';
import { argmaxRow } from '../../src/ensemble/probability.js';
import { quickdrawDir } from '../data/fixtures.js';
import { artifact, runNode, scratchDir, tinyCnn } from './train-helpers.js';

const CLASSES = ['apple', 'bicycle', 'eye', 'fish', 'cat', 'diamond'];
const C = CLASSES.length;
let testSet: InputArtifact;
let trainSet: InputArtifact;
let teacher: InputArtifact;
let mirrored: InputArtifact;
let teacherPreds: Predictions;

before(async () => {
  const data = await runNode(
    quickdraw,
    { source: { type: 'dir', path: quickdrawDir }, classes: CLASSES, test: { perClass: 60 }, train: { profile: { type: 'linear', max: 150, min: 6 } } },
    {},
    { tag: 'semi-data' },
  );
  trainSet = artifact(data.outputs.train!, 'data', 'train');
  testSet = artifact(data.outputs.test!, 'data', 'test');
  // Plain cross-entropy without balancing: the teacher keeps the training set's head bias.
  const t = await runNode(train, { model: tinyCnn, epochs: 4, batchSize: 32, seed: 1, optimizer: { kind: 'adam', lr: 0.005 }, backend: 'wasm' }, { train: [trainSet] }, { tag: 'semi-teacher' });
  const model = artifact(t.outputs.model!, 'teacher', 'model');
  const a = await runNode(predict, { backend: 'wasm' }, { model: [model], dataset: [testSet] }, { tag: 'semi-pred' });
  const b = await runNode(predict, { backend: 'wasm', tta: [{ flip: true }] }, { model: [model], dataset: [testSet] }, { tag: 'semi-pred-flip' });
  teacher = artifact(a.outputs.predictions!, 'predict', 'predictions');
  mirrored = artifact(b.outputs.predictions!, 'predict-flip', 'predictions');
  teacherPreds = readPredictions(teacher.path);
});

async function label(params: Record<string, unknown>, tag: string, teachers = [teacher], dataset = testSet) {
  const r = await runNode(pseudoLabel, params, { predictions: teachers, dataset: [dataset] }, { tag });
  const ds = readDataset(r.outputs.dataset!);
  const targets = readPredictions(r.outputs.predictions!);
  const indices = readNpy(join(r.outputs.dataset!, 'indices.npy')).data as Int32Array;
  return { r, ds, targets, indices };
}

function counts(labels: Int32Array): number[] {
  const n = new Array<number>(C).fill(0);
  for (const l of labels) n[l]!++;
  return n;
}

test('threshold mode keeps exactly the rows whose top probability reaches the threshold, with their argmax', async () => {
  const { r, ds, targets, indices } = await label({ mode: 'threshold', threshold: 0.6 }, 'pl-threshold');
  const expected: number[] = [];
  for (let i = 0; i < teacherPreds.rows; i++) if (teacherPreds.probs[i * C + argmaxRow(teacherPreds.probs, i, C)]! >= 0.6) expected.push(i);
  assert.ok(expected.length > 0 && expected.length < teacherPreds.rows, `${expected.length} confident rows: the threshold must select some, not all`);
  assert.deepEqual(Array.from(indices), expected);
  assert.equal(ds.count, expected.length);
  assert.equal(targets.rows, expected.length);
  const source = readDataset(testSet.path);
  indices.forEach((row, i) => {
    assert.equal(ds.labels[i], argmaxRow(teacherPreds.probs, row, C));
    // Soft targets are the teacher's own probability rows, and the images are the selected ones.
    assert.deepEqual(Array.from(targets.probs.subarray(i * C, (i + 1) * C)), Array.from(teacherPreds.probs.subarray(row * C, (row + 1) * C)));
    assert.equal(ds.images[i * 784 + 400], source.images[row * 784 + 400]);
  });
  assert.ok(targets.labels.every((l) => l === -1), 'the true labels never travel with the targets');
  assert.equal(r.metrics.selected, expected.length);
  assert.equal(r.metrics.per_class_max, Math.max(...counts(ds.labels)));
  const truth = Array.from(indices, (row) => source.labels[row]!);
  const acc = truth.filter((l, i) => l === ds.labels[i]).length / truth.length;
  assert.ok(Math.abs((r.metrics.pseudo_accuracy as number) - acc) < 1e-6);
});

test('balanced top-k: no class above k, each class its most confident rows, one-hot targets when not soft', async () => {
  const k = 25;
  const { r, ds, targets, indices } = await label({ mode: 'balanced-topk', k, threshold: 0, soft: false }, 'pl-topk', [teacher, mirrored]);
  const perClass = counts(ds.labels);
  assert.ok(perClass.every((n) => n <= k), `per class ${perClass}`);
  assert.equal(r.metrics.per_class_max, Math.max(...perClass));
  assert.equal(r.metrics.per_class_min, Math.min(...perClass));
  // The pooled teacher (mean of the two views): every unselected row of a class is no more confident than the selected ones.
  const mirror = readPredictions(mirrored.path);
  const pooled = Float32Array.from(teacherPreds.probs, (v, i) => (v + mirror.probs[i]!) / 2);
  const selected = new Set(indices);
  const minChosen = new Array<number>(C).fill(Infinity);
  indices.forEach((row, i) => {
    minChosen[ds.labels[i]!] = Math.min(minChosen[ds.labels[i]!]!, pooled[row * C + ds.labels[i]!]!);
  });
  for (let row = 0; row < teacherPreds.rows; row++) {
    if (selected.has(row)) continue;
    const c = argmaxRow(pooled, row, C);
    assert.ok(perClass[c]! === k ? pooled[row * C + c]! <= minChosen[c]! + 1e-6 : false, `row ${row} of class ${c} left out while its class has ${perClass[c]} < ${k}`);
  }
  for (let i = 0; i < targets.rows; i++) assert.equal(targets.probs[i * C + ds.labels[i]!], 1);
  assert.equal(targets.probs.reduce((a, b) => a + b, 0), targets.rows);
});

test('prior correction reduces the head bias of a teacher trained on a long-tailed set', async () => {
  const plain = await label({ threshold: 0 }, 'pl-plain');
  const corrected = await label({ threshold: 0, priorCorrection: true }, 'pl-corrected');
  // Every row is selected (threshold 0), so the counts are the predicted class histogram; the test set holds 60 per class.
  const spread = (n: number[]) => n.reduce((s, x) => s + Math.abs(x - 60), 0);
  const before = counts(plain.ds.labels);
  const after = counts(corrected.ds.labels);
  console.log(`predicted per class (60 true each): teacher ${before}, prior-corrected ${after}; pseudo-label balanced accuracy ${plain.r.metrics.pseudo_balanced_accuracy} → ${corrected.r.metrics.pseudo_balanced_accuracy}`);
  assert.ok(before[0]! > 60, `the teacher over-predicts its head class: ${before}`);
  assert.ok(after[0]! < before[0]!, `head class ${before[0]} → ${after[0]}`);
  assert.ok(spread(after) < 0.6 * spread(before), `distance from the balanced prior ${spread(before)} → ${spread(after)} (${before} → ${after})`);
  // The corrected targets sum to 60 per class over the rows (Sinkhorn column sums).
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let i = 0; i < corrected.targets.rows; i++) s += corrected.targets.probs[i * C + c]!;
    assert.ok(Math.abs(s - 60) < 0.1, `class ${c} sums to ${s}`);
  }
  assert.ok((corrected.r.metrics.pseudo_balanced_accuracy as number) > (plain.r.metrics.pseudo_balanced_accuracy as number));
});

test('without test labels there is no pseudo-label accuracy; a student trains on train + pseudo-labels', async () => {
  const dir = join(scratchDir('pl-unlabelled'), 'test');
  cpSync(testSet.path, dir, { recursive: true });
  rmSync(join(dir, 'labels.npy'));
  const unlabelled = artifact(dir, 'data', 'test-unlabelled');
  const { r, ds } = await label({ mode: 'balanced-topk', k: 20, priorCorrection: true }, 'pl-nolabels', [teacher], unlabelled);
  assert.equal(r.metrics.pseudo_accuracy, undefined);
  assert.ok(ds.count > 0);
  const student = await runNode(
    train,
    { model: tinyCnn, epochs: 1, batchSize: 32, seed: 2, optimizer: { kind: 'adam', lr: 0.005 }, backend: 'wasm' },
    { train: [trainSet], extra: [artifact(r.outputs.dataset!, 'pl', 'dataset')], extra_targets: [artifact(r.outputs.predictions!, 'pl', 'predictions')] },
    { tag: 'pl-student' },
  );
  const meta = JSON.parse(readFileSync(join(student.outputs.model!, 'meta.json'), 'utf8'));
  assert.equal(meta.rows.extra, ds.count);
});

test('bad inputs and params are user errors', async () => {
  await assert.rejects(label({ mode: 'balanced-topk' }, 'pl-nok'), (e: Error) => e instanceof NodeUserError && /needs k/.test(e.message));
  await assert.rejects(label({}, 'pl-rows', [teacher], trainSet), (e: Error) => e instanceof NodeUserError && /rows/.test(e.message));
});
