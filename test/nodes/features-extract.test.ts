/**
 * features/extract on a tiny CNN trained on four long-tailed Quick, Draw! classes: the embeddings
 * are exactly what the classifier layer sees (its dense map reproduces the model's logits), and a
 * nearest-class-mean classifier and LDA on them beat chance on the test set.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import train from '../../nodes/train/classifier.js';
import predict from '../../nodes/predict/classifier.js';
import extract from '../../nodes/features/extract.js';
import lda from '../../nodes/features/lda.js';
import { readFeatures, readPredictions } from '../../src/artifacts/predictions.js';
import { NodeUserError } from '../../src/exec/node-contract.js';
import { accuracy } from '../../src/ensemble/probability.js';
import { buildPrototypes, prototypeScores } from '../../src/fewshot/prototypes.js';
import { loadModel } from '../../src/ml/io/index.js';
import { artifact, runNode, smallLongTailed, tinyCnn } from './train-helpers.js';

test('penultimate embeddings of a trained model reproduce its logits and separate the classes', async () => {
  const { train: trainSet, test: testSet } = await smallLongTailed();
  const t = await runNode(train, { model: tinyCnn, epochs: 5, batchSize: 32, seed: 1, optimizer: { kind: 'adam', lr: 0.005 }, backend: 'wasm' }, { train: [trainSet] }, { tag: 'fx-train' });
  const model = artifact(t.outputs.model!, 'teacher', 'model');
  const onTrain = await runNode(extract, { backend: 'wasm' }, { model: [model], dataset: [trainSet] }, { tag: 'fx-train-features' });
  const onTest = await runNode(extract, { backend: 'wasm' }, { model: [model], dataset: [testSet] }, { tag: 'fx-test-features' });
  const fTrain = readFeatures(onTrain.outputs.features!);
  const fTest = readFeatures(onTest.outputs.features!);
  assert.equal(fTest.rows, 200);
  assert.equal(fTest.dims, fTrain.dims);
  assert.ok(fTest.features.some((v) => v !== 0));

  // The last dense layer applied to the embeddings gives predict/classifier's logits.
  const tfModel = await loadModel(model.path);
  const dense = [...tfModel.layers].reverse().find((l) => l.getClassName() === 'Dense')!;
  const [kernel, bias] = dense.getWeights().map((w) => w.dataSync() as Float32Array);
  assert.equal(kernel!.length, fTest.dims * 4);
  const preds = readPredictions((await runNode(predict, { backend: 'wasm' }, { model: [model], dataset: [testSet] }, { tag: 'fx-predict' })).outputs.predictions!);
  let worst = 0;
  for (let r = 0; r < fTest.rows; r++) {
    for (let c = 0; c < 4; c++) {
      let z = bias![c]!;
      for (let d = 0; d < fTest.dims; d++) z += fTest.features[r * fTest.dims + d]! * kernel![d * 4 + c]!;
      worst = Math.max(worst, Math.abs(z - preds.logits![r * 4 + c]!));
    }
  }
  assert.ok(worst < 1e-3, `largest logit difference ${worst}`);
  tfModel.dispose();

  // Nearest class mean and LDA on the embeddings: well above chance (0.25).
  const protos = buildPrototypes(fTrain, 'cosine', true);
  const ncmAcc = accuracy(prototypeScores(protos, fTest, 10), fTest.labels, 4)!;
  assert.ok(ncmAcc > 0.5, `nearest-class-mean accuracy ${ncmAcc}`);
  const l = await runNode(lda, { prior: 'uniform' }, { train: [artifact(onTrain.outputs.features!, 'fx', 'features')], test: [artifact(onTest.outputs.features!, 'fx', 'features')] }, { tag: 'fx-lda' });
  const ldaAcc = accuracy(readPredictions(l.outputs.predictions!).probs, fTest.labels, 4)!;
  assert.ok(ldaAcc > 0.5, `LDA accuracy ${ldaAcc}`);

  await assert.rejects(
    runNode(extract, { backend: 'wasm', layer: 'no-such-layer' }, { model: [model], dataset: [testSet] }, { tag: 'fx-bad' }),
    (e: Error) => e instanceof NodeUserError && /no-such-layer/.test(e.message),
  );
});
