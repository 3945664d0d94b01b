/**
 * train/classifier and predict/classifier on real drawings: a model trained on a long-tailed
 * four-class Quick, Draw! set scores well above chance on held-out test rows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import train from '../../nodes/train/classifier.js';
import predict from '../../nodes/predict/classifier.js';
import balance from '../../nodes/data/balance.js';
import { readPredictions } from '../../src/artifacts/predictions.js';
import { readDataset } from '../../src/data/dataset.js';
import { NodeUserError, type ProgressUpdate } from '../../src/exec/node-contract.js';
import { artifact, CLASSES, runNode, smallLongTailed, tinyCnn } from './train-helpers.js';

const data = smallLongTailed();

test('a small CNN trained with a balancing plan, augmentation and validation learns held-out drawings', async () => {
  const { train: trainSet, val, test: testSet } = await data;
  const plan = await runNode(balance, { strategy: { type: 'oversample', perClass: 'max' } }, { dataset: [trainSet] }, { tag: 'plan' });
  const progress: ProgressUpdate[] = [];
  const epochs: number[] = [];
  const trained = await runNode(
    train,
    {
      model: { ...tinyCnn, dropout: 0.1 },
      epochs: 6,
      batchSize: 32,
      seed: 3,
      optimizer: { kind: 'adam', lr: 0.005 },
      loss: { labelSmoothing: 0.1 },
      augment: { rotation: 10, widthShift: 0.05, heightShift: 0.05 },
      backend: 'wasm',
    },
    { train: [trainSet], val: [val], plan: [artifact(plan.outputs.plan!, 'balance', 'plan')] },
    {
      tag: 'train',
      onEvent: (e) => {
        if (e.type === 'progress') progress.push(e.update);
        if (e.type === 'metrics' && typeof e.values.epoch === 'number') epochs.push(e.values.epoch);
      },
    },
  );
  const modelDir = trained.outputs.model!;
  const meta = JSON.parse(readFileSync(join(modelDir, 'meta.json'), 'utf8'));
  assert.deepEqual(meta.classes, CLASSES);
  assert.deepEqual(meta.inputShape, [28, 28, 1]);
  assert.equal(meta.history.length, 6);
  assert.equal(meta.rows.perEpoch, 4 * 108, 'oversampled to the largest class (108 train rows after validation)');
  assert.ok(existsSync(join(modelDir, 'weights.bin')));
  assert.deepEqual(epochs, [1, 2, 3, 4, 5, 6]);
  const last = progress.at(-1)!;
  assert.equal(last.unit, 'batch');
  assert.equal(last.step, last.total);
  assert.equal(last.label, 'epoch 6/6');
  assert.ok(last.metrics!.images_per_s! > 0 && last.metrics!.acc! > 0.25);
  assert.equal(trained.provenance.backend, 'wasm');
  // 6 epochs of 14 batches at momentum 0.9: the initial statistics are gone, and no warning.
  assert.ok(Math.abs((trained.metrics.bn_initial_share as number) - 0.9 ** 84) < 1e-12);
  assert.equal(trained.metrics.images_seen, 6 * 4 * 108);
  assert.ok((trained.metrics.val_accuracy as number) > 0.6, `val accuracy ${trained.metrics.val_accuracy}`);

  const predicted = await runNode(predict, { tta: [{}, { flip: true }] }, { model: [artifact(modelDir, 'train', 'model')], dataset: [testSet] }, { tag: 'predict' });
  const preds = readPredictions(predicted.outputs.predictions!);
  assert.equal(preds.rows, 200);
  assert.deepEqual(preds.classes, CLASSES);
  assert.ok(preds.logits, 'one model: logits are written');
  const acc = predicted.metrics.accuracy as number;
  console.log(`train/classifier 4 classes: val acc ${trained.metrics.val_accuracy}, held-out test acc ${acc} (chance 0.25)`);
  assert.ok(acc >= 0.7, `held-out accuracy ${acc} (chance 0.25)`);
  for (let r = 0; r < preds.rows; r++) {
    const s = preds.probs.subarray(r * 4, r * 4 + 4).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(s - 1) < 1e-4, `row ${r} sums to ${s}`);
  }
});

test('a model trained on another class set is refused by predict/classifier with a clear message', async () => {
  const { train: trainSet, test: testSet } = await data;
  const trained = await runNode(train, { model: tinyCnn, epochs: 1, batchSize: 64, backend: 'wasm' }, { train: [trainSet] }, { tag: 'train-1ep' });
  const model = artifact(trained.outputs.model!, 'train', 'model');
  const meta = JSON.parse(readFileSync(join(model.path, 'meta.json'), 'utf8'));
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(model.path, 'meta.json'), JSON.stringify({ ...meta, classes: ['apple', 'bicycle', 'eye', 'cat'] }));
  await assert.rejects(
    runNode(predict, {}, { model: [model], dataset: [testSet] }, { tag: 'predict-bad' }),
    (e: Error) => e instanceof NodeUserError && /different classes/.test(e.message) && /"cat"/.test(e.message),
  );
});

test('a run too short for its batch-norm momentum says so in its log and result', async () => {
  const { train: trainSet } = await data;
  const logs: string[] = [];
  const trained = await runNode(
    train,
    { model: { ...tinyCnn, bnMomentum: 0.99 }, epochs: 1, batchSize: 32, seed: 1, backend: 'wasm' },
    { train: [trainSet] },
    { tag: 'short', onEvent: (e) => void (e.type === 'log' && logs.push(e.line)) },
  );
  const steps = Math.ceil(readDataset(trainSet.path).count / 32);
  assert.ok(Math.abs((trained.metrics.bn_initial_share as number) - 0.99 ** steps) < 1e-12);
  const warning = logs.find((l) => l.includes('batch-norm moving statistics'));
  assert.ok(warning, `no warning among ${logs.length} log lines`);
  assert.ok(warning.includes(`after ${steps} steps`) && warning.includes('(model.bnMomentum 0.99)'), warning);
});
