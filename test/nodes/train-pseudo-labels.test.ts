/**
 * Semi-supervised inputs of train/classifier: a teacher's predictions on the unlabelled test
 * images become pseudo-labelled extra rows (those above a confidence threshold) for a student,
 * and a teacher's probabilities on the train rows become distillation targets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import train from '../../nodes/train/classifier.js';
import predict from '../../nodes/predict/classifier.js';
import { readPredictions } from '../../src/artifacts/predictions.js';
import { NodeUserError } from '../../src/exec/node-contract.js';
import { artifact, runNode, smallLongTailed, tinyCnn } from './train-helpers.js';

const base = { model: tinyCnn, batchSize: 32, optimizer: { kind: 'adam', lr: 0.005 }, backend: 'wasm' };

test('a student trains on the train rows plus the test rows its teacher labels confidently', async () => {
  const { train: trainSet, val, test: testSet } = await smallLongTailed();
  const teacher = await runNode(train, { ...base, epochs: 4, seed: 1 }, { train: [trainSet] }, { tag: 'teacher' });
  const teacherModel = artifact(teacher.outputs.model!, 'teacher', 'model');
  const onTest = await runNode(predict, {}, { model: [teacherModel], dataset: [testSet] }, { tag: 'teacher-test' });
  const targets = readPredictions(onTest.outputs.predictions!);
  let confident = 0;
  for (let r = 0; r < targets.rows; r++) if (Math.max(...targets.probs.subarray(r * 4, r * 4 + 4)) >= 0.6) confident++;
  assert.ok(confident > 0 && confident < targets.rows, `${confident} confident rows: the threshold must select some`);

  const student = await runNode(
    train,
    { ...base, epochs: 3, seed: 2, pseudoLabels: { threshold: 0.6, hard: true, weight: 0.5 } },
    { train: [trainSet], val: [val], extra: [testSet], extra_targets: [artifact(onTest.outputs.predictions!, 'teacher-test', 'predictions')] },
    { tag: 'student' },
  );
  const meta = JSON.parse(readFileSync(join(student.outputs.model!, 'meta.json'), 'utf8'));
  assert.equal(meta.rows.extra, confident);
  assert.equal(meta.rows.perEpoch, meta.rows.train + confident);
  assert.ok((student.metrics.val_accuracy as number) > 0.6, `student val accuracy ${student.metrics.val_accuracy} (chance 0.25)`);

  // Distillation: the teacher's own probabilities on the train rows as targets.
  const onTrain = await runNode(predict, {}, { model: [teacherModel], dataset: [trainSet] }, { tag: 'teacher-train' });
  const distilled = await runNode(
    train,
    { ...base, epochs: 3, seed: 3, softTargets: { weight: 0.7 } },
    { train: [trainSet], val: [val], soft_targets: [artifact(onTrain.outputs.predictions!, 'teacher-train', 'predictions')] },
    { tag: 'distilled' },
  );
  assert.ok((distilled.metrics.val_accuracy as number) > 0.6, `distilled val accuracy ${distilled.metrics.val_accuracy}`);

  // Targets for other rows are refused, naming both artifacts.
  await assert.rejects(
    runNode(train, { ...base, epochs: 1 }, { train: [trainSet], soft_targets: [artifact(onTest.outputs.predictions!, 'teacher-test', 'predictions')] }, { tag: 'misaligned' }),
    (e: Error) => e instanceof NodeUserError && /teacher-test/.test(e.message) && /rows/.test(e.message),
  );
});
