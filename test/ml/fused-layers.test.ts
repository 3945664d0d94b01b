/**
 * The layers that train through fused wasm kernels (src/ml/layers/batch-norm.ts, relu.ts) against
 * TensorFlow.js's own layers on the reference `cpu` backend: outputs, gradients, moving statistics,
 * and model.json round trips.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/ml/backend.js';
import { BatchNormalization, Conv2D, ReLU } from '../../src/ml/layers/index.js';
import { buildModel } from '../../src/ml/models/index.js';
import { ParamOptimizer } from '../../src/ml/optimizers.js';
import { relativeError, rng } from './kernel-check.js';

const TOLERANCE = 1e-5;

function randomValues(random: () => number, n: number, centre = 0, spread = 1): Float32Array {
  return Float32Array.from({ length: n }, () => centre + (random() * 2 - 1) * spread);
}

type BatchNormRun = {
  y: Float32Array;
  /** Gradients of sum(y · r) for x, gamma and beta. */
  grads: Float32Array[];
  /** Moving mean and variance after two training calls. */
  moving: Float32Array[];
};

/** One training-mode call of `layer` (built on `x`'s shape, weights set to `weights`). */
function runBatchNorm(layer: tf.layers.Layer, x: Float32Array, shape: number[], r: Float32Array, weights: Float32Array[]): BatchNormRun {
  return tf.tidy(() => {
    layer.build(shape);
    layer.setWeights(weights.map((w) => tf.tensor1d(w)));
    const xv = tf.variable(tf.tensor(x, shape));
    const loss = () => tf.sum(tf.mul(layer.apply(xv, { training: true }) as tf.Tensor, tf.tensor(r, shape))) as tf.Scalar;
    const [gamma, beta, movingMean, movingVariance] = layer.weights;
    const { grads } = tf.variableGrads(loss, [xv, gamma!.read() as tf.Variable, beta!.read() as tf.Variable]);
    const training = Float32Array.from((layer.apply(tf.tensor(x, shape), { training: true }) as tf.Tensor).dataSync());
    const result: BatchNormRun = {
      y: training,
      grads: [xv, gamma!.read() as tf.Variable, beta!.read() as tf.Variable].map((v) => Float32Array.from(grads[v.name]!.dataSync())),
      moving: [movingMean!.read(), movingVariance!.read()].map((v) => Float32Array.from(v.dataSync())),
    };
    xv.dispose();
    return result;
  });
}

before(async () => {
  await initBackend('wasm');
});

describe('BatchNormalization on wasm', () => {
  it('trains as tf.layers.batchNormalization does on cpu: output, gradients, moving statistics', async () => {
    const random = rng(7);
    const shapes = [[1, 5, 7, 3], [3, 4, 4, 8], [2, 9, 5, 13], [128, 1], [1, 2, 2, 1], [4, 6, 6, 32]];
    for (const [i, shape] of shapes.entries()) {
      const n = shape.reduce((a, b) => a * b, 1);
      const c = shape[shape.length - 1]!;
      // Some inputs far from zero: the variance must not be lost to the mean.
      const x = randomValues(random, n, i % 2 === 0 ? 0 : 20, i === 3 ? 0.01 : 3);
      const r = randomValues(random, n);
      const weights = [randomValues(random, c, 1, 0.5), randomValues(random, c), randomValues(random, c), randomValues(random, c, 2, 1)];
      const config = { momentum: 0.9, epsilon: 1e-3 };
      await tf.setBackend('wasm');
      const wasm = runBatchNorm(new BatchNormalization(config), x, shape, r, weights);
      await tf.setBackend('cpu');
      const cpu = runBatchNorm(tf.layers.batchNormalization(config), x, shape, r, weights);
      const label = `shape [${shape}]`;
      assert.ok(relativeError(wasm.y, cpu.y) <= TOLERANCE, `${label} output: ${relativeError(wasm.y, cpu.y)}`);
      ['x', 'gamma', 'beta'].forEach((name, k) => {
        const err = relativeError(wasm.grads[k]!, cpu.grads[k]!);
        assert.ok(err <= TOLERANCE, `${label} gradient of ${name}: ${err}`);
      });
      ['moving mean', 'moving variance'].forEach((name, k) => {
        const err = relativeError(wasm.moving[k]!, cpu.moving[k]!);
        assert.ok(err <= TOLERANCE, `${label} ${name}: ${err}`);
      });
    }
    await tf.setBackend('wasm');
  });

  it('frees what it allocates across training steps', async () => {
    await tf.setBackend('wasm');
    const layer = new BatchNormalization({});
    const x = tf.randomNormal([2, 5, 5, 6], 0, 1, 'float32', 3);
    layer.build(x.shape);
    const step = () => tf.tidy(() => {
      tf.variableGrads(() => tf.sum(layer.apply(x, { training: true }) as tf.Tensor) as tf.Scalar).value.dataSync();
    });
    const { kernelNames } = await tf.profile(step);
    assert.ok(kernelNames.includes('DagBatchNormTraining') && kernelNames.includes('DagBatchNormTrainingGrad'), `${kernelNames}`);
    const dataIds = tf.engine().backend.numDataIds();
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    assert.equal(tf.engine().backend.numDataIds(), dataIds);
    assert.equal(tf.memory().numTensors, tensors);
    tf.dispose([x]);
    for (const w of layer.weights) w.dispose();
  });
});

describe('ReLU with maxValue 6', () => {
  it('gives the values and gradients of relu then clip, on wasm and cpu, at the bounds too', async () => {
    const random = rng(3);
    const x = randomValues(random, 240, 0, 8).map((v, i) => (i % 5 === 0 ? [0, 6, -0, 6.000001, 5.999999][(i / 5) % 5]! : v));
    const r = randomValues(random, 240);
    for (const backend of ['wasm', 'cpu']) {
      await tf.setBackend(backend);
      const [ours, stock] = [new ReLU({ maxValue: 6 }), tf.layers.reLU({ maxValue: 6 })].map((layer) => tf.tidy(() => {
        const f = (t: tf.Tensor) => tf.sum(tf.mul(layer.apply(t) as tf.Tensor, tf.tensor(r, [4, 6, 10])));
        const t = tf.tensor(x, [4, 6, 10]);
        return [(layer.apply(t) as tf.Tensor).dataSync(), tf.grad(f)(t).dataSync()].map((a) => Float32Array.from(a));
      }));
      assert.deepEqual(ours![0], stock![0], `${backend} values`);
      assert.equal(relativeError(ours![1]!, stock![1]!), 0, `${backend} gradients`);
    }
    await tf.setBackend('wasm');
  });
});

describe('Conv2D without bias', () => {
  it('matches the stock layer on cpu and computes no input gradient for a first layer', async () => {
    const random = rng(17);
    const x = randomValues(random, 2 * 9 * 9 * 3);
    const r = randomValues(random, 2 * 5 * 5 * 4);
    const kernel = randomValues(random, 3 * 3 * 3 * 4);
    const config = { filters: 4, kernelSize: 3, strides: 2, padding: 'same' as const, useBias: false };
    const results: Float32Array[][] = [];
    for (const [backend, layer] of [['wasm', new Conv2D(config)], ['cpu', tf.layers.conv2d(config)]] as const) {
      await tf.setBackend(backend);
      layer.build([2, 9, 9, 3]);
      layer.setWeights([tf.tensor4d(kernel, [3, 3, 3, 4])]);
      const loss = () => tf.sum(tf.mul(layer.apply(tf.tensor4d(x, [2, 9, 9, 3])) as tf.Tensor, tf.tensor4d(r, [2, 5, 5, 4]))) as tf.Scalar;
      const profile = await tf.profile(() => tf.variableGrads(loss).grads[(layer.weights[0]!.read() as tf.Variable).name]!);
      if (backend === 'wasm') {
        assert.ok(!profile.kernelNames.includes('Conv2DBackpropInput'), `${profile.kernelNames}`);
        assert.ok(profile.kernelNames.includes('Conv2DBackpropFilter'), `${profile.kernelNames}`);
      }
      results.push(tf.tidy(() => [
        Float32Array.from((layer.apply(tf.tensor4d(x, [2, 9, 9, 3])) as tf.Tensor).dataSync()),
        Float32Array.from(tf.variableGrads(loss).grads[(layer.weights[0]!.read() as tf.Variable).name]!.dataSync()),
      ]));
    }
    await tf.setBackend('wasm');
    assert.ok(relativeError(results[0]![0]!, results[1]![0]!) <= TOLERANCE, 'output');
    assert.ok(relativeError(results[0]![1]!, results[1]![1]!) <= TOLERANCE, 'kernel gradient');
  });
});

describe('model.json', () => {
  it('keeps the standard class names and reloads into these layers', async () => {
    await tf.setBackend('wasm');
    const input = tf.input({ shape: [4, 4, 2] });
    const conv = new Conv2D({ filters: 3, kernelSize: 3, padding: 'same', useBias: false }).apply(input);
    const y = new ReLU({ maxValue: 6 }).apply(new BatchNormalization({ momentum: 0.8 }).apply(conv)) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: y });
    const json = model.toJSON(undefined, false) as { config: { layers: Array<{ class_name: string }> } };
    assert.deepEqual(json.config.layers.map((l) => l.class_name), ['InputLayer', 'Conv2D', 'BatchNormalization', 'ReLU']);
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const reloaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    assert.ok(reloaded.layers[1] instanceof Conv2D);
    assert.ok(reloaded.layers[2] instanceof BatchNormalization);
    assert.ok(reloaded.layers[3] instanceof ReLU);
    const x = tf.randomNormal([3, 4, 4, 2], 0, 1, 'float32', 1);
    assert.deepEqual((reloaded.predict(x) as tf.Tensor).dataSync(), (model.predict(x) as tf.Tensor).dataSync());
    tf.dispose([x]);
    model.dispose();
    reloaded.dispose();
  });
});

describe('a small mobile2', () => {
  it('trains on wasm (fused layers) to the weights cpu reaches with the stock ops', async () => {
    const random = rng(41);
    const images = randomValues(random, 6 * 12 * 12 * 1, 0.5, 0.5);
    const labels = Array.from({ length: 6 }, (_, i) => i % 4);
    let initial: Float32Array[] | undefined;
    const trained: Record<string, Float32Array[]> = {};
    for (const backend of ['wasm', 'cpu']) {
      await tf.setBackend(backend);
      const model = buildModel({ arch: 'mobilenetv2', width: 0.25, expansion: 2, inputShape: [12, 12, 1], numClasses: 4, bnMomentum: 0.9 }, { seed: 3 });
      const shapes = model.getWeights().map((t) => t.shape);
      if (initial) model.setWeights(initial.map((w, i) => tf.tensor(w, shapes[i])));
      else initial = model.getWeights().map((t) => Float32Array.from(t.dataSync()));
      const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
      // SGD at a small rate: Adam would turn the rounding noise of gradients that are exactly zero
      // in theory (the betas of batch norms whose shift a later batch norm removes) into full
      // steps, and larger steps make this tiny net chaotic (a 1e-7 nudge of the initial weights
      // moves cpu's own result by 1e-5 at lr 0.05).
      const optimizer = new ParamOptimizer({ kind: 'sgd', lr: 0.01, momentum: 0.9 }, variables.map((variable) => ({ variable, decay: false })));
      for (let step = 0; step < 3; step++) {
        tf.tidy(() => {
          const x = tf.tensor4d(images, [6, 12, 12, 1]);
          const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 4);
          const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, variables);
          optimizer.apply(variables.map((v) => grads[v.name]!), 0.01);
        });
      }
      // Every weight, moving statistics included.
      trained[backend] = model.getWeights().map((t) => Float32Array.from(t.dataSync()));
      optimizer.dispose();
      model.dispose();
    }
    await tf.setBackend('wasm');
    assert.equal(trained.wasm!.length, initial!.length);
    trained.wasm!.forEach((w, i) => {
      // Absolute below magnitude 1: weights that stay near zero (those betas) carry only rounding noise.
      let diff = 0;
      let scale = 1;
      w.forEach((v, j) => {
        diff = Math.max(diff, Math.abs(v - trained.cpu![i]![j]!));
        scale = Math.max(scale, Math.abs(trained.cpu![i]![j]!));
      });
      assert.ok(diff / scale <= 1e-5, `weight ${i}: ${diff / scale}`);
    });
  });
});
