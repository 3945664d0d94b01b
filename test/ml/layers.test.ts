import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { SeededDropout, SpatialDropout2D, StochasticDepth, setLayerNoise } from '../../src/ml/layers/index.js';
import { Rng } from '../../src/ml/rng.js';
import { useTestBackend } from './train-helpers.js';

await useTestBackend();

const ones = () => tf.ones([6, 4, 4, 5]);
const train = (layer: tf.layers.Layer, x: tf.Tensor) => layer.apply(x, { training: true }) as tf.Tensor;

test('SpatialDropout2D zeroes whole channels per sample and rescales the rest', () => {
  setLayerNoise(new Rng(1));
  const y = train(new SpatialDropout2D({ rate: 0.5 }), ones()).arraySync() as number[][][][];
  setLayerNoise(null);
  let dropped = 0;
  for (const sample of y) {
    for (let c = 0; c < 5; c++) {
      const values = new Set(sample.flatMap((row) => row.map((px) => px[c]!)));
      assert.equal(values.size, 1, 'a channel is dropped or kept as a whole');
      const v = [...values][0]!;
      assert.ok(v === 0 || Math.abs(v - 2) < 1e-6, `value ${v}`);
      if (v === 0) dropped++;
    }
  }
  assert.ok(dropped > 5 && dropped < 25, `${dropped} of 30 channels dropped`);
});

test('StochasticDepth drops whole samples of the residual branch', () => {
  setLayerNoise(new Rng(2));
  const y = train(new StochasticDepth({ rate: 0.5 }), ones());
  setLayerNoise(null);
  const perSample = Array.from(tf.max(y, [1, 2, 3]).dataSync());
  const perSampleMin = Array.from(tf.min(y, [1, 2, 3]).dataSync());
  assert.deepEqual(perSample, perSampleMin, 'constant within a sample');
  assert.ok(perSample.includes(0) && perSample.some((v) => Math.abs(v - 2) < 1e-6), `samples: ${perSample}`);
});

test('masks are fresh every call, fixed by the noise stream, and absent at inference', () => {
  const layer = new SeededDropout({ rate: 0.5 });
  const x = tf.ones([4, 32]);
  setLayerNoise(new Rng(3));
  const a1 = train(layer, x).dataSync();
  const a2 = train(layer, x).dataSync();
  setLayerNoise(new Rng(3));
  const b1 = train(layer, x).dataSync();
  setLayerNoise(null);
  assert.notDeepEqual(a1, a2);
  assert.deepEqual(a1, b1);
  for (const L of [SeededDropout, StochasticDepth]) {
    assert.deepEqual((new L({ rate: 0.5 }).apply(x) as tf.Tensor).dataSync(), x.dataSync());
  }
  assert.deepEqual((new SpatialDropout2D({ rate: 0.5 }).apply(ones()) as tf.Tensor).dataSync(), ones().dataSync());
});

test('the layers serialise their rate and are registered for deserialisation', () => {
  for (const L of [SeededDropout, SpatialDropout2D, StochasticDepth]) {
    const layer = new L({ rate: 0.3, name: `x_${L.className}` });
    const config = layer.getConfig();
    assert.equal(config['rate'], 0.3);
    const revived = tf.layers.Layer.fromConfig(L, config) as InstanceType<typeof L>;
    assert.equal(revived.rate, 0.3);
    const model = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [4, 4, 2] }), new L({ rate: 0.3 })] });
    const json = model.toJSON(undefined, false) as unknown as { config: { layers: Array<{ class_name: string }> } };
    assert.ok(json.config.layers.some((l) => l.class_name === L.className));
  }
  assert.throws(() => new SpatialDropout2D({ rate: 1 }), /rate must be in \[0, 1\)/);
});
