import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ARCHITECTURES, buildModel } from '../../src/ml/models/index.js';
import { loadModel, readModelMeta, saveModel } from '../../src/ml/io/index.js';
import { trainClassifier } from '../../src/ml/train/index.js';
import { NodeUserError } from '../../src/exec/node-contract.js';
import { flatWeights, quadrantSet, tempDir, useTestBackend } from './train-helpers.js';

const backend = await useTestBackend();


const images = quadrantSet(8, 12, 3);
const x = () => tf.tensor4d(Float32Array.from(images.images, (v) => v / 255), [8, 12, 12, 1]);

for (const arch of ARCHITECTURES) {
  test(`${arch} with custom layers saves as model.json + weights.bin and reloads with identical weights and logits`, async (t) => {
    const dir = await tempDir(t);
    const model = buildModel(
      { arch, inputShape: [12, 12, 1], numClasses: 4, width: 0.25, dropout: 0.2, spatialDropout: 0.1, stochasticDepth: 0.1, l2: 1e-4, bnMomentum: 0.5 },
      { seed: 4 },
    );
    // A little training so that batch-norm statistics differ from their initial values.
    await trainClassifier({ model, train: images, epochs: 1, batchSize: 4, seed: 1 });
    await saveModel(model, dir, { arch, classes: ['a', 'b', 'c', 'd'] });
    assert.deepEqual((await readdir(dir)).sort(), ['meta.json', 'model.json', 'weights.bin']);
    const loaded = await loadModel(dir);
    assert.deepEqual(flatWeights(loaded), flatWeights(model));
    assert.deepEqual((loaded.predict(x()) as tf.Tensor).dataSync(), (model.predict(x()) as tf.Tensor).dataSync());
    assert.deepEqual(await readModelMeta(dir), { arch, classes: ['a', 'b', 'c', 'd'] });
    model.dispose();
    loaded.dispose();
  });
}

test('a model saved on one backend reloads on the pure-JS cpu backend with the same predictions', async (t) => {
  const dir = await tempDir(t);
  const model = buildModel({ arch: 'mobilenetv2', inputShape: [12, 12, 1], numClasses: 4, width: 0.25, stochasticDepth: 0.1 }, { seed: 2 });
  const expected = (model.predict(x()) as tf.Tensor).dataSync();
  await saveModel(model, dir);
  await tf.setBackend('cpu');
  try {
    const loaded = await loadModel(dir);
    const actual = (loaded.predict(x()) as tf.Tensor).dataSync();
    actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-4, `logit ${i}: ${v} vs ${expected[i]}`));
    loaded.dispose();
  } finally {
    await tf.setBackend(backend);
  }
  assert.equal(await readModelMeta(dir), null);
});

test('a missing or corrupt model is a user error naming the file', async (t) => {
  const dir = await tempDir(t);
  await assert.rejects(loadModel(join(dir, 'nowhere')), (e: unknown) => e instanceof NodeUserError && /nowhere\/model\.json does not exist/.test(e.message));
  await writeFile(join(dir, 'model.json'), '{"modelTopology": ');
  await assert.rejects(loadModel(dir), (e: unknown) => e instanceof NodeUserError && /model\.json is not valid JSON/.test(e.message));
  const model = buildModel({ arch: 'cnn', inputShape: [12, 12, 1], numClasses: 4, width: 0.25 });
  await saveModel(model, dir);
  await writeFile(join(dir, 'weights.bin'), new Uint8Array(10));
  await assert.rejects(loadModel(dir), (e: unknown) => e instanceof NodeUserError && /cannot load/.test(e.message));
});
