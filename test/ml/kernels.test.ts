/**
 * The wasm training kernels against the reference `cpu` backend: gradients of convolutions and
 * depthwise convolutions on random shapes, a full training step of a small conv net, and no leaked
 * wasm memory.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/ml/backend.js';
import { WASM_TRAINING_KERNELS, registerWasmTrainingKernels } from '../../src/ml/wasm-kernels/register.js';
import { relativeError, rng } from './kernel-check.js';

const TOLERANCE = 1e-5;

function randomValues(random: () => number, shape: number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = random() * 2 - 1;
  return out;
}

type Op = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D;

/** Gradients of sum(op(x, w) · r) for x and w, where r is a fixed random output weighting. */
async function gradientsOn(backend: string, op: Op, x: Float32Array, xShape: number[], w: Float32Array, wShape: number[], seed: number): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const xT = tf.tensor4d(x, xShape as [number, number, number, number]);
    const wT = tf.tensor4d(w, wShape as [number, number, number, number]);
    const outShape = op(xT, wT).shape;
    const r = tf.tensor(randomValues(rng(seed), outShape), outShape);
    const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => op(a as tf.Tensor4D, b as tf.Tensor4D).mul(r).sum())([xT, wT]);
    return [gx!.dataSync() as Float32Array, gw!.dataSync() as Float32Array];
  });
}

interface Case {
  label: string;
  xShape: number[];
  wShape: number[];
  op: Op;
}

function randomCases(depthwise: boolean, count: number, seed: number): Case[] {
  const random = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const cases: Case[] = [];
  for (let i = 0; i < count; i++) {
    const stride = i % 2 === 0 ? 1 : 2;
    const pad = i % 4 < 2 ? 'same' : 'valid';
    const k = pick([1, 3, 3, 5]);
    const batch = i % 3 === 0 ? 1 : pick([2, 3]);
    const h = k + Math.floor(random() * 8);
    const w = k + Math.floor(random() * 8);
    const c = 1 + Math.floor(random() * 5);
    // Output channels in multiples of 4 and 8 take the register-tiled filter gradient, others the general one.
    const last = depthwise ? 1 + Math.floor(random() * 3) : pick([1, 2, 3, 4, 5, 6, 8, 12, 16]);
    const op: Op = depthwise
      ? (x, f) => tf.depthwiseConv2d(x, f, stride, pad)
      : (x, f) => tf.conv2d(x, f, stride, pad);
    cases.push({
      label: `${depthwise ? 'depthwise' : 'conv2d'} x=[${batch},${h},${w},${c}] k=${k} ${depthwise ? 'mult' : 'out'}=${last} stride=${stride} ${pad}`,
      xShape: [batch, h, w, c],
      wShape: [k, k, c, last],
      op,
    });
  }
  return cases;
}

before(async () => {
  await initBackend('wasm');
});

describe('wasm training kernels', () => {
  it('are registered once however often registration runs', () => {
    registerWasmTrainingKernels();
    assert.deepEqual(registerWasmTrainingKernels(), []);
    for (const config of WASM_TRAINING_KERNELS) {
      assert.equal(tf.getKernel(config.kernelName, 'wasm')?.kernelFunc, config.kernelFunc, config.kernelName);
    }
  });

  for (const [kind, depthwise, seed] of [['conv2d', false, 11], ['depthwise', true, 23]] as const) {
    it(`match cpu gradients of ${kind} on random shapes`, async () => {
      for (const [i, c] of randomCases(depthwise, 24, seed).entries()) {
        const random = rng(seed * 1000 + i);
        const x = randomValues(random, c.xShape);
        const w = randomValues(random, c.wShape);
        const wasm = await gradientsOn('wasm', c.op, x, c.xShape, w, c.wShape, i);
        const cpu = await gradientsOn('cpu', c.op, x, c.xShape, w, c.wShape, i);
        assert.ok(relativeError(wasm[0]!, cpu[0]!) <= TOLERANCE, `input gradient, ${c.label}: ${relativeError(wasm[0]!, cpu[0]!)}`);
        assert.ok(relativeError(wasm[1]!, cpu[1]!) <= TOLERANCE, `filter gradient, ${c.label}: ${relativeError(wasm[1]!, cpu[1]!)}`);
      }
    });
  }

  it('match cpu gradients of 3×3 depthwise convolutions over wider channels (4 to 16), as mobile2 has', async () => {
    const cases: Array<[number[], 1 | 2, 'same' | 'valid']> = [
      [[1, 7, 9, 4], 1, 'same'], [[3, 8, 5, 8], 2, 'same'], [[2, 9, 9, 12], 2, 'valid'], [[1, 3, 3, 4], 1, 'valid'], [[2, 6, 7, 16], 1, 'same'],
    ];
    for (const [i, [xShape, stride, pad]] of cases.entries()) {
      const wShape = [3, 3, xShape[3]!, 1];
      const random = rng(500 + i);
      const op: Op = (x, f) => tf.depthwiseConv2d(x, f, stride, pad);
      const [x, w] = [randomValues(random, xShape), randomValues(random, wShape)];
      const wasm = await gradientsOn('wasm', op, x, xShape, w, wShape, i);
      const cpu = await gradientsOn('cpu', op, x, xShape, w, wShape, i);
      const label = `x=[${xShape}] stride ${stride} ${pad}`;
      assert.ok(relativeError(wasm[0]!, cpu[0]!) <= TOLERANCE, `input gradient, ${label}: ${relativeError(wasm[0]!, cpu[0]!)}`);
      assert.ok(relativeError(wasm[1]!, cpu[1]!) <= TOLERANCE, `filter gradient, ${label}: ${relativeError(wasm[1]!, cpu[1]!)}`);
    }
  });

  it('compute the replaced element-wise, reduction and copy kernels as cpu does', async () => {
    const random = rng(77);
    const x = randomValues(random, [3, 5, 7, 6]);
    const y = randomValues(random, [3, 5, 7, 6]);
    const channel = randomValues(random, [1, 1, 1, 6]);
    const cases: Array<[string, () => tf.Tensor]> = [
      ['sum over N,H,W', () => tf.sum(tf.tensor4d(x, [3, 5, 7, 6]), [0, 1, 2])],
      ['mean over N,H keepDims', () => tf.mean(tf.tensor4d(x, [3, 5, 7, 6]), [1, 0], true)],
      ['sum over H (original kernel)', () => tf.sum(tf.tensor4d(x, [3, 5, 7, 6]), 1)],
      ['sum of everything (original kernel)', () => tf.sum(tf.tensor4d(x, [3, 5, 7, 6]))],
      ['tile a channel vector', () => tf.tile(tf.tensor4d(channel, [1, 1, 1, 6]), [3, 5, 7, 1])],
      ['tile a matrix along both axes', () => tf.tile(tf.tensor2d(x.subarray(0, 6), [2, 3]), [2, 3])],
      ['tile a pooled gradient over H and W', () => tf.tile(tf.tensor4d(x.subarray(0, 12), [2, 1, 1, 6]), [1, 5, 7, 1])],
      ['tile a 3-d tensor along every axis', () => tf.tile(tf.tensor3d(x.subarray(0, 24), [2, 3, 4]), [3, 1, 2])],
      ['tile int32 (original kernel)', () => tf.tile(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), [2, 3])],
      ['clone and same-dtype cast', () => tf.cast(tf.clone(tf.tensor4d(x, [3, 5, 7, 6])), 'float32')],
      ['cast to int32 (original kernel)', () => tf.cast(tf.tensor4d(x, [3, 5, 7, 6]).mul(10), 'int32')],
      ['relu6 mask and select', () => {
        const t = tf.tensor4d(x, [3, 5, 7, 6]).mul(8);
        const inside = tf.logicalAnd(tf.greaterEqual(t, 0), tf.lessEqual(t, 6));
        return tf.where(inside, tf.tensor4d(y, [3, 5, 7, 6]), tf.zerosLike(t));
      }],
      ['broadcast compare and select (original kernels)', () => {
        const t = tf.tensor4d(x, [3, 5, 7, 6]);
        return tf.where(tf.greaterEqual(t, tf.tensor4d(channel, [1, 1, 1, 6])), t, tf.tensor4d(y, [3, 5, 7, 6]));
      }],
    ];
    const t4 = (v: Float32Array) => tf.tensor4d(v, [3, 5, 7, 6]);
    const vector = () => tf.tensor1d(channel.map((v) => v + 2));
    cases.push(
      ['add, sub, multiply, divide equal shapes', () => tf.div(tf.mul(tf.sub(tf.add(t4(x), t4(y)), t4(y)), t4(x)), t4(y).add(3))],
      ['per-channel and scalar operands on either side', () =>
        tf.div(vector(), tf.mul(tf.sub(tf.scalar(2), t4(x)), tf.tensor4d(channel, [1, 1, 1, 6])).add(vector()).add(4))],
      ['broadcast along H (original kernel)', () => tf.mul(t4(x), tf.tensor4d(channel.subarray(0, 5), [1, 5, 1, 1]))],
      ['matMul, dense-layer gradient shapes', () => tf.matMul(tf.tensor2d(x.subarray(0, 35 * 6), [35, 6]), tf.tensor2d(y.subarray(0, 35 * 9), [35, 9]), true, false)],
      ['matMul with transposed b', () => tf.matMul(tf.tensor2d(x.subarray(0, 7 * 13), [7, 13]), tf.tensor2d(y.subarray(0, 5 * 13), [5, 13]), false, true)],
      ['matMul plain', () => tf.matMul(tf.tensor2d(x.subarray(0, 7 * 13), [7, 13]), tf.tensor2d(y.subarray(0, 13 * 5), [13, 5]))],
      ['batched matMul and a broadcast matrix', () => tf.add(
        tf.matMul(tf.tensor3d(x.subarray(0, 3 * 4 * 6), [3, 4, 6]), tf.tensor3d(y.subarray(0, 3 * 6 * 5), [3, 6, 5])),
        tf.matMul(tf.tensor3d(x.subarray(0, 3 * 4 * 6), [3, 4, 6]), tf.tensor2d(y.subarray(0, 5 * 6), [5, 6]), false, true))],
      ['matMul with both transposed (original kernel)', () => tf.matMul(tf.tensor2d(x.subarray(0, 6 * 7), [6, 7]), tf.tensor2d(y.subarray(0, 5 * 6), [5, 6]), true, true)],
      ['batch norm with per-channel parameters', () => tf.batchNorm(t4(x), tf.tensor1d(channel), vector(), tf.tensor1d(channel), vector(), 1e-3)],
      ['batch norm without offset and scale', () => tf.batchNorm(t4(x), tf.tensor1d(channel), vector())],
      ['batch norm with full-shape mean (original kernel)', () => tf.batchNorm(t4(x), t4(y), t4(y).abs().add(1))],
    );
    for (const [label, f] of cases) {
      const results: Record<string, { shape: number[]; values: Float32Array }> = {};
      for (const backend of ['wasm', 'cpu']) {
        await tf.setBackend(backend);
        results[backend] = tf.tidy(() => {
          const t = f();
          return { shape: t.shape, values: Float32Array.from(t.dataSync()) };
        });
      }
      assert.deepEqual(results.wasm!.shape, results.cpu!.shape, label);
      assert.ok(relativeError(results.wasm!.values, results.cpu!.values) <= TOLERANCE, `${label}: ${relativeError(results.wasm!.values, results.cpu!.values)}`);
    }
  });

  it('take the same gradients of batch norm, sum and mean as cpu', async () => {
    const random = rng(91);
    const shape: [number, number, number, number] = [3, 5, 7, 6];
    const values = [randomValues(random, shape), randomValues(random, [6]), randomValues(random, [6]).map((v) => v + 1.5),
      randomValues(random, [6]), randomValues(random, [6])];
    const r = randomValues(random, shape);
    // Training-mode batch norm: statistics from the batch, as tf.layers computes them.
    const loss = (x: tf.Tensor, offset: tf.Tensor, scale: tf.Tensor) => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      const y = tf.batchNorm(x as tf.Tensor4D, mean, variance, offset, scale, 1e-3);
      return tf.add(tf.sum(tf.mul(y, tf.tensor4d(r, shape))), tf.mean(tf.sum(tf.square(x), [0, 1])));
    };
    const inference = (x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, offset: tf.Tensor, scale: tf.Tensor) =>
      tf.sum(tf.mul(tf.batchNorm(x as tf.Tensor4D, mean, variance, offset, scale, 1e-3), tf.tensor4d(r, shape)));
    const grads: Record<string, Float32Array[]> = {};
    for (const backend of ['wasm', 'cpu']) {
      await tf.setBackend(backend);
      grads[backend] = tf.tidy(() => {
        const [x, mean, variance, offset, scale] = values.map((v, i) => (i === 0 ? tf.tensor4d(v, shape) : tf.tensor1d(v)));
        return [
          ...tf.grads(loss)([x!, offset!, scale!]),
          ...tf.grads(inference)([x!, mean!, variance!, offset!, scale!]),
        ].map((g) => Float32Array.from(g.dataSync()));
      });
    }
    grads.wasm!.forEach((g, i) => {
      assert.ok(relativeError(g, grads.cpu![i]!) <= TOLERANCE, `gradient ${i}: ${relativeError(g, grads.cpu![i]!)}`);
    });
  });

  it('take the same gradients of relu, relu6 and clipping as cpu, at the bounds too', async () => {
    const random = rng(13);
    const x = randomValues(random, [4, 5, 6, 3]).map((v, i) => (i % 7 === 0 ? [0, 6, -1, 1.5][i % 4]! : v * 8));
    const r = randomValues(random, [4, 5, 6, 3]);
    const fs: Array<[string, (t: tf.Tensor) => tf.Tensor]> = [
      ['relu', (t) => tf.relu(t)],
      ['relu6', (t) => tf.relu6(t)],
      ['clip', (t) => tf.clipByValue(t, -1, 1.5)],
      ['layers reLU maxValue 6', (t) => tf.layers.reLU({ maxValue: 6 }).apply(t) as tf.Tensor],
    ];
    for (const [label, f] of fs) {
      const grads: Record<string, Float32Array> = {};
      for (const backend of ['wasm', 'cpu']) {
        await tf.setBackend(backend);
        grads[backend] = tf.tidy(() => Float32Array.from(
          tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), tf.tensor4d(r, [4, 5, 6, 3]))))(tf.tensor4d(x, [4, 5, 6, 3])).dataSync()));
      }
      // Exactly equal as numbers (the cpu backend multiplies by a 0/1 mask, so it may give -0 for 0).
      assert.equal(relativeError(grads.wasm!, grads.cpu!), 0, label);
    }
  });

  it('take the same max-pooling gradients as cpu, ties included', async () => {
    const random = rng(29);
    const cases: Array<[number[], number, number, 'same' | 'valid']> = [
      [[1, 7, 9, 3], 2, 2, 'same'], [[2, 8, 8, 5], 2, 2, 'valid'], [[3, 9, 7, 4], 3, 2, 'same'], [[2, 6, 5, 6], 3, 1, 'valid'],
    ];
    for (const [shape, size, stride, pad] of cases) {
      // Half the inputs are zero (as after ReLU), so windows often hold several equal maxima.
      const x = randomValues(random, shape).map((v) => Math.max(0, v));
      const grads: Record<string, Float32Array> = {};
      for (const backend of ['wasm', 'cpu']) {
        await tf.setBackend(backend);
        grads[backend] = tf.tidy(() => {
          const f = (t: tf.Tensor) => {
            const y = tf.maxPool(t as tf.Tensor4D, size, stride, pad);
            return tf.sum(tf.mul(y, tf.tensor(randomValues(rng(3), y.shape), y.shape)));
          };
          return Float32Array.from(tf.grad(f)(tf.tensor4d(x, shape as [number, number, number, number])).dataSync());
        });
      }
      assert.ok(relativeError(grads.wasm!, grads.cpu!) <= TOLERANCE, `pool ${size} stride ${stride} ${pad} [${shape}]`);
    }
  });

  it('free every intermediate they allocate', async () => {
    await tf.setBackend('wasm');
    const x = tf.randomNormal([3, 9, 11, 4], 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 4, 2], 0, 1, 'float32', 2) as tf.Tensor4D;
    const f = tf.randomNormal([3, 3, 8, 5], 0, 1, 'float32', 3) as tf.Tensor4D;
    const step = () => tf.tidy(() => {
      const loss = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        tf.conv2d(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'), c as tf.Tensor4D, 1, 'valid').sum();
      tf.grads(loss)([x, w, f]).forEach((g) => g.dataSync());
    });
    step();
    const dataIds = tf.engine().backend.numDataIds();
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    assert.equal(tf.engine().backend.numDataIds(), dataIds);
    assert.equal(tf.memory().numTensors, tensors);
    tf.dispose([x, w, f]);
  });

  it('train a small conv net exactly as cpu does', async () => {
    const build = () => tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [12, 12, 1], filters: 6, kernelSize: 3, strides: 2, padding: 'same', useBias: false }),
        tf.layers.batchNormalization(),
        tf.layers.reLU({ maxValue: 6 }),
        tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', depthMultiplier: 2 }),
        tf.layers.conv2d({ filters: 5, kernelSize: 1, activation: 'relu' }),
        tf.layers.globalAveragePooling2d({}),
        tf.layers.dense({ units: 4 }),
      ],
    });
    const random = rng(5);
    const images = randomValues(random, [8, 12, 12, 1]);
    const labels = new Int32Array(8).map((_, i) => i % 4);
    let initial: tf.Tensor[] | undefined;
    const trained: Record<string, Float32Array[]> = {};
    for (const backend of ['wasm', 'cpu']) {
      await tf.setBackend(backend);
      const model = build();
      if (initial) model.setWeights(initial);
      else initial = model.getWeights().map((t) => tf.tensor(t.dataSync(), t.shape));
      const optimizer = tf.train.adam(0.01);
      for (let step = 0; step < 3; step++) {
        tf.tidy(() => {
          const x = tf.tensor4d(images, [8, 12, 12, 1]);
          const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 4);
          optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar);
        });
      }
      trained[backend] = model.getWeights().map((t) => t.dataSync() as Float32Array);
      model.dispose();
      optimizer.dispose();
    }
    trained.wasm!.forEach((w, i) => {
      // Adam divides by sqrt(v): rounding differences of 1e-7 in gradients grow to ~1e-5 in weights.
      assert.ok(relativeError(w, trained.cpu![i]!) <= 1e-4, `weight ${i}: ${relativeError(w, trained.cpu![i]!)}`);
    });
    tf.dispose(initial!);
  });
});
