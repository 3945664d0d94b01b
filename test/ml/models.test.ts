import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildModel, countParams, modelSpecSchema, ARCHITECTURES, type ModelSpecInput } from '../../src/ml/models/index.js';
import { NodeUserError } from '../../src/exec/node-contract.js';

await tf.setBackend('cpu');

test('mobile2 (MobileNetV2, width 1, expansion 6) for 28x28x1 and 100 classes has the documented 291,300 parameters', () => {
  const model = buildModel({ arch: 'mobilenetv2', inputShape: [28, 28, 1], numClasses: 100 });
  assert.deepEqual(countParams(model), { trainable: 281_380, total: 291_300 });
  assert.deepEqual(model.outputs[0]!.shape, [null, 100]);
  // Three stride-2 stages: 28 -> 14 -> 7 -> 4 before the head.
  assert.deepEqual(model.getLayer('head_relu').outputShape, [null, 4, 4, 256]);
  model.dispose();
});

test('width and expansion scale mobile2', () => {
  const base = countParams(buildModel({ arch: 'mobilenetv2', inputShape: [28, 28, 1], numClasses: 10 })).total;
  const narrow = countParams(buildModel({ arch: 'mobilenetv2', inputShape: [28, 28, 1], numClasses: 10, width: 0.5 })).total;
  const lean = countParams(buildModel({ arch: 'mobilenetv2', inputShape: [28, 28, 1], numClasses: 10, expansion: 3 })).total;
  assert.ok(narrow < base * 0.6, `width 0.5: ${narrow} vs ${base}`);
  assert.ok(lean < base * 0.7, `expansion 3: ${lean} vs ${base}`);
});

for (const arch of ARCHITECTURES) {
  test(`${arch}: builds for small inputs with every regulariser on, outputs logits, trains one step`, () => {
    const model = buildModel(
      { arch, inputShape: [12, 12, 1], numClasses: 3, width: 0.25, dropout: 0.2, spatialDropout: 0.1, stochasticDepth: 0.2, l2: 1e-4 },
      { seed: 1 },
    );
    const x = tf.randomUniform([2, 12, 12, 1], 0, 1, 'float32', 3);
    const y = model.predict(x) as tf.Tensor;
    assert.deepEqual(y.shape, [2, 3]);
    // Logits, not probabilities: rows need not sum to 1.
    const opt = tf.train.sgd(0.1);
    const before = model.trainableWeights.map((w) => w.read().clone());
    opt.minimize(() => {
      const logits = model.apply(x, { training: true }) as tf.Tensor;
      const reg = model.calculateLosses().reduce((a, b) => a.add(b), tf.scalar(0));
      return tf.losses.softmaxCrossEntropy(tf.oneHot([0, 2], 3), logits).add(reg) as tf.Scalar;
    });
    const changed = model.trainableWeights.filter((w, i) => tf.any(tf.notEqual(w.read(), before[i]!)).dataSync()[0]);
    assert.ok(changed.length > model.trainableWeights.length / 2, `only ${changed.length} weights moved`);
    assert.ok(model.calculateLosses().length > 0, 'L2 penalties present');
    tf.dispose([x, y, ...before]);
    model.dispose();
  });
}

test('the seed fixes the initial weights', () => {
  const spec: ModelSpecInput = { arch: 'resnet', inputShape: [8, 8, 1], numClasses: 3, width: 0.25 };
  const flat = (m: tf.LayersModel) => Array.from(tf.concat(m.getWeights().map((w) => w.flatten())).dataSync());
  const a = flat(buildModel(spec, { seed: 7 }));
  const b = flat(buildModel(spec, { seed: 7 }));
  const c = flat(buildModel(spec, { seed: 8 }));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('an invalid spec is a user error naming the field', () => {
  assert.throws(
    () => buildModel({ arch: 'mobilenetv2', inputShape: [28, 28, 1], numClasses: 10, dropout: 1.5 }),
    (e: unknown) => e instanceof NodeUserError && /dropout/.test(e.message),
  );
  assert.throws(
    () => buildModel({ arch: 'vgg' as 'cnn', inputShape: [28, 28, 1], numClasses: 10 }),
    (e: unknown) => e instanceof NodeUserError && /arch/.test(e.message),
  );
  assert.equal(modelSpecSchema.parse({ arch: 'cnn', inputShape: [28, 28, 1], numClasses: 5 }).width, 1);
});
