/**
 * The training loop on small synthetic sets: determinism, exact resume after an abort, no tensor
 * leaks, early stopping restoring the best weights, weights/plans/soft targets, user errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { buildModel, type ModelSpecInput } from '../../src/ml/models/index.js';
import { evaluate, predictLogits, trainClassifier, TrainingAbortedError, type EpochMetrics, type TrainOptions } from '../../src/ml/train/index.js';
import { NodeUserError } from '../../src/exec/node-contract.js';
import { flatWeights, noisyFlip, quadrantSet, tempDir, useTestBackend } from './train-helpers.js';

await useTestBackend();

const train = quadrantSet(48, 8, 1);
const validation = quadrantSet(24, 8, 2);
const resnet: ModelSpecInput = {
  arch: 'resnet', inputShape: [8, 8, 1], numClasses: 4, width: 0.5, depth: 1,
  dropout: 0.2, spatialDropout: 0.1, stochasticDepth: 0.3, l2: 1e-4, bnMomentum: 0.9,
};
const cnn: ModelSpecInput = { arch: 'cnn', inputShape: [8, 8, 1], numClasses: 4, width: 0.25, depth: 2, dropout: 0.3, bnMomentum: 0.9 };

/** Every stochastic lever on: dropouts, drop-path, augmentation, mixup, AdamW, cosine warm-up. */
function stochasticRun(model: tf.LayersModel, seed: number): TrainOptions {
  return {
    model, train, validation, epochs: 3, batchSize: 16, seed,
    optimizer: { kind: 'adamw', lr: 0.01, weightDecay: 0.01 },
    loss: { labelSmoothing: 0.1 },
    schedule: { kind: 'cosine', warmupEpochs: 1 },
    mixup: { alpha: 0.4, prob: 0.5 },
    augment: noisyFlip,
  };
}

const sansTiming = (h: EpochMetrics[]) => h.map(({ images_per_sec: _i, seconds: _s, ...rest }) => rest);


test('one seed fixes the run: same seed gives identical weights, another seed different ones', async () => {
  const runs: Float32Array[] = [];
  for (const seed of [5, 5, 6]) {
    const model = buildModel(resnet, { seed });
    await trainClassifier(stochasticRun(model, seed));
    runs.push(flatWeights(model));
    model.dispose();
  }
  assert.deepEqual(runs[0], runs[1]);
  assert.notDeepEqual(runs[0], runs[2]);
});

for (const variant of [
  { name: 'AdamW, cosine, mixup, augmentation (resnet)', spec: resnet, opts: (m: tf.LayersModel) => stochasticRun(m, 3) },
  {
    name: 'SGD Nesterov, reduce-on-plateau, early stopping (cnn)',
    spec: cnn,
    opts: (model: tf.LayersModel): TrainOptions => ({
      model, train, validation, epochs: 4, batchSize: 12, seed: 3,
      optimizer: { kind: 'sgd', lr: 0.05, momentum: 0.9, nesterov: true },
      loss: { kind: 'balanced-softmax' },
      schedule: { kind: 'plateau', patience: 0, factor: 0.5, monitor: 'val_accuracy' },
      earlyStopping: { monitor: 'val_loss', patience: 10 },
    }),
  },
]) {
  test(`a run aborted mid-epoch resumes from its last checkpoint and ends bit for bit as an uninterrupted run: ${variant.name}`, async (t) => {
    const dirA = await tempDir(t);
    const dirB = await tempDir(t);
    const a = buildModel(variant.spec, { seed: 3 });
    const full = await trainClassifier({ ...variant.opts(a), resumeDir: dirA });

    const b = buildModel(variant.spec, { seed: 3 });
    const controller = new AbortController();
    const base = variant.opts(b);
    const stepsPerEpoch = Math.ceil(train.images.length / 64 / base.batchSize);
    await assert.rejects(
      trainClassifier({
        ...base, resumeDir: dirB, signal: controller.signal,
        // Killed in the middle of epoch 3: the checkpoint of epoch 2 is the last one.
        onBatch: (p) => p.step === 2 * stepsPerEpoch + 2 && controller.abort(),
      }),
      TrainingAbortedError,
    );
    assert.deepEqual((await readdir(dirB)).filter((e) => e.startsWith('epoch-')), ['epoch-0002']);
    b.dispose();

    // A new process would rebuild the model from scratch; its fresh weights are replaced by the checkpoint.
    const c = buildModel(variant.spec, { seed: 99 });
    const resumed = await trainClassifier({ ...variant.opts(c), resumeDir: dirB });
    assert.equal(resumed.resumedFromEpoch, 2);
    assert.deepEqual(flatWeights(c), flatWeights(a));
    assert.deepEqual(sansTiming(resumed.history), sansTiming(full.history));
    assert.equal(resumed.restoredEpoch, full.restoredEpoch);

    // Resuming a finished run changes nothing.
    const again = await trainClassifier({ ...variant.opts(c), resumeDir: dirB });
    assert.deepEqual(flatWeights(c), flatWeights(a));
    assert.equal(again.history.length, full.history.length);
    a.dispose();
    c.dispose();
  });
}

test('no tensors leak across epochs or out of the run', async (t) => {
  const perEpoch: number[] = [];
  const counts: Array<[number, number]> = [];
  // The first run of a process fills tfjs's one-off caches (e.g. tfjs-layers' scalar cache); the
  // second must leave exactly what it found.
  for (let run = 0; run < 2; run++) {
    const model = buildModel(resnet, { seed: 1 });
    const before = tf.memory().numTensors;
    perEpoch.length = 0;
    await trainClassifier({
      ...stochasticRun(model, 1),
      epochs: 4,
      earlyStopping: { monitor: 'val_loss', patience: 10 },
      resumeDir: await tempDir(t),
      onEpoch: () => void perEpoch.push(tf.memory().numTensors),
    });
    counts.push([before, tf.memory().numTensors]);
    model.dispose();
  }
  assert.equal(new Set(perEpoch).size, 1, `tensor counts per epoch: ${perEpoch}`);
  assert.equal(counts[1]![1], counts[1]![0], `run 2 started with ${counts[1]![0]} tensors and ended with ${counts[1]![1]}`);
});

test('early stopping stops after `patience` epochs without improvement and restores the best epoch weights', async () => {
  // Random labels: the net memorises the training rows while validation loss climbs.
  const noise = quadrantSet(24, 8, 7);
  noise.labels = Int32Array.from({ length: 24 }, (_, i) => (i * 7 + 3) % 4);
  const model = buildModel(cnn, { seed: 2 });
  const snapshots: Float32Array[] = [];
  const result = await trainClassifier({
    model, train: noise, validation, epochs: 40, batchSize: 8, seed: 2,
    optimizer: { lr: 0.02 },
    earlyStopping: { monitor: 'val_loss', patience: 3 },
    onEpoch: () => void snapshots.push(flatWeights(model)),
  });
  assert.ok(result.stoppedEarly, `ran all ${result.history.length} epochs`);
  const losses = result.history.map((h) => h.val_loss!);
  const bestEpoch = losses.indexOf(Math.min(...losses)) + 1;
  assert.equal(result.restoredEpoch, bestEpoch);
  assert.equal(result.history.length, bestEpoch + 3);
  assert.deepEqual(flatWeights(model), snapshots[bestEpoch - 1]);
  model.dispose();
});

test('learns the synthetic task; reports per-batch progress and per-epoch metrics', async () => {
  const model = buildModel(cnn, { seed: 4 });
  const progress: number[] = [];
  const result = await trainClassifier({
    model, train, validation, epochs: 4, batchSize: 8, seed: 4, optimizer: { lr: 0.01 },
    onBatch: (p) => {
      assert.equal(p.unit, 'batch');
      assert.equal(p.total, 24);
      assert.ok(Number.isFinite(p.metrics!['loss']) && p.metrics!['lr'] === 0.01);
      progress.push(p.step);
    },
  });
  assert.deepEqual(progress, Array.from({ length: 24 }, (_, i) => i + 1));
  const last = result.history.at(-1)!;
  assert.ok(last.val_accuracy! >= 0.9, `validation accuracy ${last.val_accuracy}`);
  assert.ok(last.loss < result.history[0]!.loss);
  for (const key of ['loss', 'accuracy', 'val_loss', 'val_accuracy', 'val_balanced_accuracy', 'lr', 'images_per_sec', 'seconds'] as const) {
    assert.ok(Number.isFinite(last[key]), key);
  }
  model.dispose();
});

test('sample weights, soft targets and an oversampling plan drive what is learned', async () => {
  // Class 3 carries zero weight: the model never learns to predict it, yet learns the others.
  const weights = Float32Array.from(train.labels as Int32Array, (y) => (y === 3 ? 0 : 1));
  // Soft targets instead of labels (as from a teacher), and a plan listing class-0 rows twice.
  const targets = new Float32Array(48 * 4);
  (train.labels as Int32Array).forEach((y, i) => {
    for (let c = 0; c < 4; c++) targets[i * 4 + c] = c === y ? 0.85 : 0.05;
  });
  const plan = [...Array(48).keys(), ...[...Array(48).keys()].filter((i) => i % 4 === 0)];
  const model = buildModel(cnn, { seed: 4 });
  let total = 0;
  await trainClassifier({
    model, train: { images: train.images, imageShape: train.imageShape, targets, sampleWeights: weights, plan },
    epochs: 4, batchSize: 8, seed: 4, optimizer: { lr: 0.01 },
    onBatch: (p) => void (total = p.total),
  });
  assert.equal(total, 4 * Math.ceil(plan.length / 8));
  const pred = (model.predict(tf.tensor4d(Float32Array.from(validation.images, (v) => v / 255), [24, 8, 8, 1])) as tf.Tensor)
    .argMax(-1)
    .dataSync();
  const labels = validation.labels as Int32Array;
  const hits = (k: number) => labels.filter((y, i) => y === k && pred[i] === y).length;
  assert.equal(hits(3), 0);
  assert.ok(hits(0) + hits(1) + hits(2) >= 15, `${hits(0)}+${hits(1)}+${hits(2)} of 18`);
  model.dispose();
});

test('bad inputs are user errors naming the problem', async () => {
  const model = buildModel(cnn, { seed: 1 });
  const run = (o: Partial<TrainOptions>) => trainClassifier({ model, train, epochs: 1, batchSize: 8, seed: 1, ...o });
  const userError = (re: RegExp) => (e: unknown) => e instanceof NodeUserError && re.test(e.message);
  await assert.rejects(run({ train: { ...train, imageShape: [4, 4, 4] } }), userError(/4×4×4 but the model takes 8×8×1/));
  await assert.rejects(run({ train: { ...train, labels: Int32Array.from(train.labels as Int32Array, (y) => y + 1) } }), userError(/label 4 .* outside 0..3/));
  await assert.rejects(run({ earlyStopping: { monitor: 'val_accuracy' } }), userError(/no validation set/));
  await assert.rejects(run({ batchSize: 0 }), userError(/batchSize/));
  model.dispose();
});

test('a training process killed with SIGKILL resumes from its last checkpoint to the weights of an uninterrupted run', async (t) => {
  const child = join(import.meta.dirname, 'train-kill-child.js');
  const dir = await tempDir(t);
  const run = (resumeDir: string, out: string) =>
    JSON.parse(execFileSync(process.execPath, [child, resumeDir, out], { encoding: 'utf8' }).trim().split('\n').at(-1)!) as {
      resumedFromEpoch: number | null;
    };
  const uninterrupted = run(join(dir, 'a'), join(dir, 'a.bin'));
  assert.equal(uninterrupted.resumedFromEpoch, null);

  const victim = spawn(process.execPath, [child, join(dir, 'b'), join(dir, 'b.bin')], { stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => victim.on('exit', (_code, signal) => resolve(signal)));
  // Kill it as soon as the epoch-2 checkpoint exists: somewhere in epoch 3 or writing its checkpoint.
  while (!existsSync(join(dir, 'b', 'epoch-0002')) && victim.exitCode === null) await new Promise((r) => setTimeout(r, 5));
  victim.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');
  assert.ok(!existsSync(join(dir, 'b.bin')), 'the victim finished before it was killed');

  const resumed = run(join(dir, 'b'), join(dir, 'b.bin'));
  assert.ok(resumed.resumedFromEpoch !== null && resumed.resumedFromEpoch >= 2 && resumed.resumedFromEpoch < 6, `resumed from ${resumed.resumedFromEpoch}`);
  assert.deepEqual(readFileSync(join(dir, 'b.bin')), readFileSync(join(dir, 'a.bin')));
});

test('evaluate scores loss, accuracy and balanced accuracy; predictLogits applies a test-time transform', () => {
  // A model whose logits are its two input pixels.
  const model = tf.sequential({
    layers: [tf.layers.flatten({ inputShape: [1, 2, 1] }), tf.layers.dense({ units: 2, useBias: false, kernelInitializer: 'identity' })],
  });
  const images = Float32Array.of(2, 0, 0, 1, 3, 1, 0, 2, 1, 0);
  const labels = [0, 1, 0, 0, 1];
  const scores = evaluate(model, { images, imageShape: [1, 2, 1], labels });
  const ce = (z: number[], y: number) => Math.log(Math.exp(z[0]!) + Math.exp(z[1]!)) - z[y]!;
  const rows = [[2, 0], [0, 1], [3, 1], [0, 2], [1, 0]];
  const loss = rows.reduce((s, z, i) => s + ce(z, labels[i]!), 0) / 5;
  assert.ok(Math.abs(scores.loss - loss) < 1e-6, `${scores.loss} vs ${loss}`);
  // Predictions 0,1,0,1,0: class 0 gets 2 of 3 right, class 1 gets 1 of 2.
  assert.equal(scores.accuracy, 3 / 5);
  assert.equal(scores.balancedAccuracy, (2 / 3 + 1 / 2) / 2);
  const flipped = predictLogits(model, { images, imageShape: [1, 2, 1] }, { batchSize: 2, transform: (x) => tf.reverse(x, 2) });
  assert.deepEqual(Array.from(flipped), [0, 2, 1, 0, 1, 3, 2, 0, 0, 1]);
  model.dispose();
});

test('an L2 penalty and decoupled weight decay each shrink the kernels of a trained model', async () => {
  const kernelNorm = (m: tf.LayersModel) =>
    m.weights.filter((w) => /kernel$/.test(w.originalName)).reduce((s, w) => s + tf.sum(tf.square(w.read())).dataSync()[0]!, 0);
  const trained = async (spec: Partial<ModelSpecInput>, optimizer: TrainOptions['optimizer']) => {
    const model = buildModel({ ...cnn, ...spec }, { seed: 8 });
    await trainClassifier({ model, train, epochs: 2, batchSize: 8, seed: 8, optimizer });
    const norm = kernelNorm(model);
    model.dispose();
    return norm;
  };
  const plain = await trained({}, { kind: 'adam', lr: 0.01 });
  const l2 = await trained({ l2: 0.05 }, { kind: 'adam', lr: 0.01 });
  const decoupled = await trained({}, { kind: 'adamw', lr: 0.01, weightDecay: 5 });
  assert.ok(l2 < 0.9 * plain, `L2: ${l2} vs ${plain}`);
  assert.ok(decoupled < 0.9 * plain, `AdamW: ${decoupled} vs ${plain}`);
});

test('a plan resampled per epoch: each epoch trains on its own rows; unequal epochs are a user error', async () => {
  // Epoch e visits only the rows of class e % 4 (48 / 4 = 12 rows, listed four times).
  const labels = train.labels as Int32Array;
  const plan = (epoch: number) => {
    const rows = [...labels.keys()].filter((i) => labels[i] === epoch % 4);
    return [...rows, ...rows, ...rows, ...rows];
  };
  // The augmentation hook sees every training batch; the brightest quadrant of an image is its class.
  const batches: number[][] = [];
  const spy = (batch: tf.Tensor4D) => {
    const quadrants = tf.stack([0, 1, 2, 3].map((k) => tf.mean(tf.slice(batch, [0, Math.floor(k / 2) * 4, (k % 2) * 4, 0], [-1, 4, 4, 1]), [1, 2, 3])), 1);
    batches.push(Array.from(tf.argMax(quadrants, 1).dataSync()));
    return batch;
  };
  const model = buildModel(cnn, { seed: 5 });
  await trainClassifier({ model, train: { ...train, plan }, epochs: 3, batchSize: 8, seed: 5, augment: spy });
  assert.equal(batches.length, 3 * 6);
  for (let epoch = 0; epoch < 3; epoch++) {
    const classes = batches.slice(epoch * 6, (epoch + 1) * 6).flat();
    assert.equal(classes.length, 48);
    assert.deepEqual([...new Set(classes)], [epoch], `epoch ${epoch + 1} trained on classes ${[...new Set(classes)]}`);
  }
  const uneven = (epoch: number) => (epoch === 0 ? [0, 1, 2, 3] : [0, 1]);
  await assert.rejects(
    trainClassifier({ model, train: { ...train, plan: uneven }, epochs: 2, batchSize: 4, seed: 1 }),
    (e: unknown) => e instanceof NodeUserError && /epoch 2 lists 2 rows, epoch 1 lists 4/.test(e.message),
  );
  model.dispose();
});
