// Batch mixing in the training loop: cutmix pastes a box from the partner image and mixes the
// targets and weights by the share of pixels each image kept.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { mixBatch, mixupSchema } from '../../src/ml/train/mixup.js';
import { Rng } from '../../src/ml/rng.js';

test('cutmix: every pixel comes from the image or its partner; targets and weights mix by the pixels kept', () => {
  const n = 6, h = 9, w = 7;
  // Image i is the constant i + 1, so each output pixel names its source image.
  const x = tf.tensor4d(Float32Array.from({ length: n * h * w }, (_, k) => Math.floor(k / (h * w)) + 1), [n, h, w, 1]);
  const targets = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5], 'int32'), n) as tf.Tensor2D;
  const weights = tf.tensor1d([1, 2, 3, 4, 5, 6]);
  const spec = mixupSchema.parse({ kind: 'cutmix', alpha: 1 });
  const out = mixBatch({ x, targets, weights }, spec, new Rng(7));
  const pixels = out.x.arraySync() as number[][][][];
  const t = out.targets.arraySync() as number[][];
  const wt = out.weights!.arraySync() as number[];
  let pasted = 0;
  for (let i = 0; i < n; i++) {
    const values = pixels[i]!.flat(2);
    const own = values.filter((v) => v === i + 1).length / values.length;
    const others = [...new Set(values.filter((v) => v !== i + 1))];
    assert.ok(others.length <= 1, `image ${i} mixes more than one partner: ${others}`);
    if (others.length) pasted++;
    const partner = others.length ? others[0]! - 1 : i;
    assert.ok(Math.abs(t[i]![i]! - (partner === i ? 1 : own)) < 1e-6, `image ${i}: own target ${t[i]![i]} vs pixel share ${own}`);
    assert.ok(Math.abs(t[i]!.reduce((a, b) => a + b, 0) - 1) < 1e-6);
    const expectedWeight = partner === i ? i + 1 : own * (i + 1) + (1 - own) * (partner + 1);
    assert.ok(Math.abs(wt[i]! - expectedWeight) < 1e-5, `image ${i}: weight ${wt[i]} vs ${expectedWeight}`);
  }
  assert.ok(pasted >= n / 2, `only ${pasted} of ${n} images got a box`);
});

test('cutmix draws the same numbers whether or not a batch is mixed', () => {
  const x = tf.zeros([4, 5, 5, 1]) as tf.Tensor4D;
  const targets = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 4) as tf.Tensor2D;
  const a = new Rng(3), b = new Rng(3);
  mixBatch({ x, targets }, mixupSchema.parse({ kind: 'cutmix', prob: 0 }), a);
  mixBatch({ x, targets }, mixupSchema.parse({ kind: 'cutmix', prob: 1 }), b);
  assert.deepEqual(a.getState(), b.getState());
});
