/** Optimisers against tf.train's, learning-rate schedules, and checkpoint files. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ParamOptimizer, type OptimizerSpecInput } from '../../src/ml/optimizers.js';
import { LrSchedule } from '../../src/ml/schedules.js';
import { loadLatestCheckpoint, saveCheckpoint, type Checkpoint } from '../../src/ml/train/index.js';
import { useTestBackend } from './train-helpers.js';

await useTestBackend();

/** Minimises sum((A w - b)^2) for a few steps with an optimiser; returns the final w. */
function descend(step: (w: tf.Variable, loss: () => tf.Scalar) => void, steps = 8): Float32Array {
  const A = tf.tensor2d([[1, 2, 0.5], [0.3, -1, 2], [1.5, 0.2, -0.7], [0.1, 0.4, 0.9]]);
  const b = tf.tensor2d([[1], [-2], [0.5], [3]]);
  const w = tf.variable(tf.tensor2d([[0.2], [-0.1], [0.4]]), true, `w${Math.random()}`);
  for (let i = 0; i < steps; i++) step(w, () => tf.sum(tf.square(tf.sub(tf.matMul(A, w), b))) as tf.Scalar);
  const out = w.dataSync() as Float32Array;
  return out.slice();
}

function ours(spec: OptimizerSpecInput, decay = false) {
  let opt: ParamOptimizer | undefined;
  return (w: tf.Variable, loss: () => tf.Scalar) => {
    opt ??= new ParamOptimizer(spec, [{ variable: w, decay }]);
    tf.tidy(() => {
      const { grads } = tf.variableGrads(loss, [w]);
      opt!.apply([grads[w.name]!], spec.lr!);
    });
  };
}
const theirs = (o: tf.Optimizer) => (w: tf.Variable, loss: () => tf.Scalar) => void o.minimize(loss, false, [w]);
const near = (a: Float32Array, b: Float32Array) =>
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) < 1e-5 * Math.max(1, Math.abs(b[i]!)), `${Array.from(a)} vs ${Array.from(b)}`));

test('Adam and SGD with momentum follow tf.train.adam and tf.train.momentum', () => {
  near(descend(ours({ kind: 'adam', lr: 0.05 })), descend(theirs(tf.train.adam(0.05, 0.9, 0.999, 1e-7))));
  near(descend(ours({ kind: 'sgd', lr: 0.01, momentum: 0.9 })), descend(theirs(tf.train.momentum(0.01, 0.9))));
  near(descend(ours({ kind: 'sgd', lr: 0.01, momentum: 0.9, nesterov: true })), descend(theirs(tf.train.momentum(0.01, 0.9, true))));
  near(descend(ours({ kind: 'sgd', lr: 0.01, momentum: 0 })), descend(theirs(tf.train.sgd(0.01))));
});

test('AdamW decays kernels by lr * weightDecay per step, decoupled from the gradient', () => {
  const w = tf.variable(tf.tensor1d([1, -2, 4]));
  const bias = tf.variable(tf.tensor1d([1, -2, 4]));
  const opt = new ParamOptimizer({ kind: 'adamw', lr: 0.1, weightDecay: 0.5 }, [
    { variable: w, decay: true },
    { variable: bias, decay: false },
  ]);
  const zero = tf.zeros([3]);
  opt.apply([zero, zero], 0.1);
  opt.apply([zero, zero], 0.1);
  assert.deepEqual(Array.from(w.dataSync()).map((v) => +v.toFixed(5)), [0.9025, -1.805, 3.61]);
  assert.deepEqual(Array.from(bias.dataSync()), [1, -2, 4]);
  assert.equal(opt.getState().step, 2);
  opt.dispose();
});

test('optimiser state round-trips: a restored optimiser continues exactly', () => {
  const spec: OptimizerSpecInput = { kind: 'adam', lr: 0.05 };
  const straight = descend(ours(spec), 6);
  let saved: ReturnType<ParamOptimizer['getState']> | undefined;
  let opt: ParamOptimizer | undefined;
  let i = 0;
  const resumed = descend((w, loss) => {
    if (i === 3) {
      saved = opt!.getState();
      opt!.dispose();
      opt = new ParamOptimizer(spec, [{ variable: w, decay: false }]);
      opt.setState(saved);
    }
    opt ??= new ParamOptimizer(spec, [{ variable: w, decay: false }]);
    tf.tidy(() => opt!.apply([tf.variableGrads(loss, [w]).grads[w.name]!], 0.05));
    i++;
  }, 6);
  assert.deepEqual(resumed, straight);
});

test('cosine schedule warms up linearly then decays to minLr at the last step', () => {
  const s = new LrSchedule({ kind: 'cosine', warmupEpochs: 1, minLr: 0.001 }, 0.1, 10, 50);
  assert.equal(s.lrAt(0), 0.01);
  assert.equal(s.lrAt(9), 0.1);
  assert.equal(s.lrAt(10), 0.1);
  assert.ok(Math.abs(s.lrAt(49) - 0.001) < 1e-12);
  assert.ok(Math.abs(s.lrAt(30) - (0.001 + 0.5 * 0.099 * (1 + Math.cos((Math.PI * 20) / 39)))) < 1e-12);
  assert.equal(new LrSchedule({}, 0.1, 10, 50).lrAt(37), 0.1);
});

test('reduce-on-plateau halves the rate after `patience` epochs without improvement, with cooldown', () => {
  const s = new LrSchedule({ kind: 'plateau', patience: 2, factor: 0.5, cooldown: 1, monitor: 'val_loss' }, 0.1, 10, 100);
  const lrs: number[] = [];
  for (const v of [1.0, 0.9, 0.95, 0.92, 0.91, 0.93, 0.94, 0.95, 0.8]) {
    s.endEpoch({ val_loss: v });
    lrs.push(s.lrAt(99));
  }
  // Keras's bookkeeping: the cooldown epoch resets the wait but the next non-improving epoch counts.
  assert.deepEqual(lrs, [0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125, 0.0125]);
  const copy = new LrSchedule({ kind: 'plateau', patience: 2 }, 0.1, 10, 100);
  copy.setState(s.getState());
  assert.equal(copy.lrAt(99), 0.0125);
  assert.throws(() => s.endEpoch({ loss: 1 }), /monitors val_loss/);
});

test('checkpoints: the latest complete one wins, torn temporaries are ignored and cleaned up', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dag-ckpt-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  assert.equal(await loadLatestCheckpoint(join(dir, 'absent')), null);
  const ckpt = (epoch: number): Checkpoint => ({
    state: {
      epoch, finished: false, optimizerStep: epoch * 3, rng: { shuffle: [1, 2, 3, epoch] },
      schedule: { scale: 1, plateau: { best: null, wait: 0 }, cooldownLeft: 0 }, earlyStopping: null, history: [],
    },
    tensors: { weights: [Float32Array.of(epoch, 0.5), Float32Array.of(-1)], slots: [], best: [Float32Array.of(7)] },
  });
  await saveCheckpoint(dir, ckpt(1));
  // A process killed while writing epoch 2 leaves only a temporary directory behind.
  await mkdir(join(dir, '.tmp-epoch-0002-12345'));
  await writeFile(join(dir, '.tmp-epoch-0002-12345', 'state.json'), '{"epo');
  assert.deepEqual(await loadLatestCheckpoint(dir), ckpt(1));
  await saveCheckpoint(dir, ckpt(2));
  assert.deepEqual(await loadLatestCheckpoint(dir), ckpt(2));
  assert.deepEqual(await readdir(dir), ['epoch-0002']);
});

test('trainingConfigSchema fills every default and rejects unknown levers', async () => {
  const { trainingConfigSchema } = await import('../../src/ml/train/index.js');
  const config = trainingConfigSchema.parse({ model: { arch: 'mobilenetv2', dropout: 0.2, l2: 4e-5 }, epochs: 3, loss: { labelSmoothing: 0.1 } });
  assert.equal(config.model.width, 1);
  assert.equal(config.optimizer.kind, 'adam');
  assert.equal(config.loss.labelSmoothing, 0.1);
  assert.equal(config.schedule.kind, 'constant');
  assert.equal(config.earlyStopping, null);
  assert.equal(trainingConfigSchema.safeParse({ model: { arch: 'cnn' }, epochs: 3, optimiser: {} }).success, false);
});

test('on wasm the fused Adam/AdamW kernel updates weights and moments bit for bit as the op-by-op update', async () => {
  const { ADAM_UPDATE } = await import('../../src/ml/wasm-kernels/adam.js');
  const { registerWasmTrainingKernels } = await import('../../src/ml/wasm-kernels/register.js');
  const previous = tf.getBackend();
  await tf.setBackend('wasm');
  const shapes = [[3, 3, 5, 7], [13], [1], [257, 3]];
  const run = async (spec: OptimizerSpecInput, fused: boolean) => {
    if (!fused) tf.unregisterKernel(ADAM_UPDATE, 'wasm');
    try {
      let seed = 1;
      const vars = shapes.map((s) => tf.variable(tf.randomNormal(s, 0, 1, 'float32', seed++)));
      const opt = new ParamOptimizer(spec, vars.map((variable, i) => ({ variable, decay: i % 2 === 0 })));
      for (let step = 0; step < 4; step++) {
        const { kernelNames } = await tf.profile(() => tf.tidy(() =>
          opt.apply(shapes.map((s) => tf.randomNormal(s, 0, step + 1, 'float32', seed++)), 0.01 * (step + 1)),
        ) as unknown as tf.Tensor);
        assert.equal(kernelNames.includes(ADAM_UPDATE), fused, `${kernelNames}`);
      }
      const out = [...vars.map((v) => Float32Array.from(v.dataSync())), ...opt.getState().slots];
      opt.dispose();
      tf.dispose(vars);
      return out;
    } finally {
      registerWasmTrainingKernels();
    }
  };
  for (const spec of [{ kind: 'adam' }, { kind: 'adamw', weightDecay: 0.1 }] as OptimizerSpecInput[]) {
    const [fused, plain] = [await run(spec, true), await run(spec, false)];
    assert.ok(tf.getKernel(ADAM_UPDATE, 'wasm'), 'kernel reinstalled');
    fused.forEach((values, i) => assert.deepEqual(values, plain[i], `${spec.kind}: array ${i}`));
  }
  await tf.setBackend(previous);
});
