/**
 * ensemble/distill on a tiny real subset: a two-view ensemble of a small CNN teacher (plain and
 * mirrored predictions) is distilled into a student over the train and unlabeled test images.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import train from '../../nodes/train/classifier.js';
import predict from '../../nodes/predict/classifier.js';
import distill from '../../nodes/ensemble/distill.js';
import { readPredictions } from '../../src/artifacts/predictions.js';
import { NodeUserError } from '../../src/exec/node-contract.js';
import { accuracy, argmaxRows } from '../../src/ensemble/probability.js';
import { softenedTargets } from '../../src/distill/targets.js';
import { artifact, runNode, smallLongTailed, tinyCnn } from './train-helpers.js';

const base = { model: tinyCnn, batchSize: 32, optimizer: { kind: 'adam', lr: 0.005 }, backend: 'wasm' };

test('temperature softens the pooled targets without changing their argmax', () => {
  const member = { probs: Float32Array.from([0.7, 0.2, 0.1, 0.1, 0.1, 0.8]), logits: Float32Array.from([2, 0.5, -1, -1, -1, 1.5]), rows: 2, numClasses: 3, labels: Int32Array.from([-1, -1]), classes: ['a', 'b', 'c'], meta: {} };
  const t1 = softenedTargets([member], 1);
  const t4 = softenedTargets([member], 4);
  assert.deepEqual(Array.from(argmaxRows(t1, 2, 3)), [0, 2]);
  assert.deepEqual(Array.from(argmaxRows(t4, 2, 3)), [0, 2]);
  assert.ok(t4[0]! < t1[0]! && t4[5]! < t1[5]!);
  // T = 1 on logits is the members' own softmax: exp(2) / (exp(2) + exp(0.5) + exp(-1)).
  assert.ok(Math.abs(t1[0]! - Math.exp(2) / (Math.exp(2) + Math.exp(0.5) + Math.exp(-1))) < 1e-6);
  assert.throws(() => softenedTargets([member], 0), NodeUserError);
});

test('a student distilled from an ensemble over train and unlabeled test images learns and agrees with it', async () => {
  const { train: trainSet, val, test: testSet } = await smallLongTailed();
  const teacher = await runNode(train, { ...base, epochs: 8, seed: 1, loss: { kind: 'balanced-softmax' }, schedule: { kind: 'cosine' } }, { train: [trainSet] }, { tag: 'distill-teacher' });
  const model = artifact(teacher.outputs.model!, 'teacher', 'model');
  const views = [{}, { flip: true }];
  const onTrain = [];
  const onTest = [];
  for (const [i, view] of views.entries()) {
    const a = await runNode(predict, { backend: 'wasm', tta: [view] }, { model: [model], dataset: [trainSet] }, { tag: `distill-train-${i}` });
    const b = await runNode(predict, { backend: 'wasm', tta: [view] }, { model: [model], dataset: [testSet] }, { tag: `distill-test-${i}` });
    onTrain.push(artifact(a.outputs.predictions!, `view${i}-train`, 'predictions'));
    onTest.push(artifact(b.outputs.predictions!, `view${i}-test`, 'predictions'));
  }
  const student = await runNode(
    distill,
    { ...base, epochs: 6, seed: 7, temperature: 2, alpha: 0.3, schedule: { kind: 'cosine' } },
    { train: [trainSet], teacher_train: onTrain, unlabeled: [testSet], teacher_unlabeled: onTest, val: [val] },
    { tag: 'distill-student' },
  );
  const meta = JSON.parse(readFileSync(join(student.outputs.model!, 'meta.json'), 'utf8'));
  assert.equal(meta.distillation.temperature, 2);
  assert.equal(meta.rows.extra, 200, 'every unlabeled test row (4 classes × 50) trains the student');

  const studentPreds = readPredictions(
    (await runNode(predict, { backend: 'wasm' }, { model: [artifact(student.outputs.model!, 'student', 'model')], dataset: [testSet] }, { tag: 'distill-student-test' })).outputs.predictions!,
  );
  const ensembleProbs = softenedTargets(onTest.map((a) => readPredictions(a.path)), 1);
  const C = 4;
  const studentAcc = accuracy(studentPreds.probs, studentPreds.labels, C)!;
  const s = argmaxRows(studentPreds.probs, studentPreds.rows, C);
  const e = argmaxRows(ensembleProbs, studentPreds.rows, C);
  const agreement = s.filter((c, i) => c === e[i]).length / s.length;
  // Agreement expected by chance: the sum over classes of the two predicted-class shares.
  const share = (x: Int32Array, c: number) => x.filter((v) => v === c).length / x.length;
  let chance = 0;
  for (let c = 0; c < C; c++) chance += share(s, c) * share(e, c);
  assert.ok(studentAcc > 0.6, `student test accuracy ${studentAcc} (chance 0.25)`);
  assert.ok(agreement > 0.75 && agreement > chance + 0.4, `student–ensemble agreement ${agreement} (chance ${chance.toFixed(3)})`);

  await assert.rejects(
    runNode(distill, { ...base, epochs: 1 }, { train: [trainSet], teacher_train: onTest }, { tag: 'distill-misaligned' }),
    (e: Error) => e instanceof NodeUserError && /rows/.test(e.message),
  );
  await assert.rejects(
    runNode(distill, { ...base, epochs: 1 }, { train: [trainSet], teacher_train: onTrain, unlabeled: [testSet] }, { tag: 'distill-missing' }),
    (e: Error) => e instanceof NodeUserError && /teacher_unlabeled/.test(e.message),
  );
});
