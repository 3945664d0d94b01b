import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runNodeInProcess } from '../../src/exec/node-runner.js';
import { NodeUserError, type InputArtifact, type NodeDefinition } from '../../src/exec/node-contract.js';
import { readPredictions } from '../../src/artifacts/predictions.js';
import { SeededRng } from '../../src/data/rng.js';
import { accuracy } from '../../src/ensemble/probability.js';
import { cholesky, choleskySolve } from '../../src/features/cholesky.js';
import lda from '../../nodes/features/lda.js';
import gbdt from '../../nodes/features/gbdt.js';
import { featuresArtifact, loadPixels, lt100Classes, nodeDirs, type PixelSet } from './ensemble-fixtures.js';

const classes = lt100Classes.slice(0, 6);
let trainF: InputArtifact;
let testF: InputArtifact;
let ltTrainF: InputArtifact;
let testLabels: Int32Array;

before(() => {
  // Pixels average-pooled to 14 × 14 (196 features), 60 training drawings per class.
  trainF = featuresArtifact('train', loadPixels(classes, () => [100, 160]));
  const testSet = loadPixels(classes, () => [0, 100]);
  testLabels = testSet.labels;
  testF = featuresArtifact('test', testSet);
  ltTrainF = featuresArtifact('lt-train', loadPixels(classes, (c) => [100, 100 + [120, 70, 40, 20, 10, 6][c]!]));
});

async function run(node: NodeDefinition, params: unknown, train: InputArtifact, testIn: InputArtifact, tag: string) {
  const r = await runNodeInProcess(node, { params, inputs: { train: [train], test: [testIn] }, ...nodeDirs(tag) });
  return { p: readPredictions(r.outputs.predictions!), metrics: r.metrics, dir: r.outputs.predictions! };
}

function points(xy: number[][], labels: number[], names = ['a', 'b']): PixelSet {
  return { x: Float32Array.from(xy.flat()), rows: xy.length, dims: 2, labels: Int32Array.from(labels), classes: names };
}

test('cholesky solves a symmetric positive-definite system', () => {
  const a = Float64Array.from([4, 2, 0.4, 2, 5, 1, 0.4, 1, 3]);
  const l = cholesky(a, 3)!;
  const x = choleskySolve(l, 3, Float64Array.from([1, 2, 3]), 1);
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(a[i * 3]! * x[0]! + a[i * 3 + 1]! * x[1]! + a[i * 3 + 2]! * x[2]! - (i + 1)) < 1e-12);
  assert.equal(cholesky(Float64Array.from([1, 2, 2, 1]), 2), undefined);
});

test('LDA with full shrinkage is the nearest-mean rule under a scaled identity covariance', async () => {
  // Class means (1, 0) and (-1, 2); within-class residuals (±1, 0), (0, ±1): covariance trace/D = 0.5.
  const train = featuresArtifact('pts', points([[2, 0], [0, 0], [-1, 3], [-1, 1]], [0, 0, 1, 1]));
  const testIn = featuresArtifact('pts-test', points([[0.5, 0.5]], [0]));
  const { p } = await run(lda, { shrinkage: 1 }, train, testIn, 'lda-exact');
  // score_c = x·μ_c / 0.5 − ½|μ_c|² / 0.5 + log ½.
  const s0 = (0.5 * 1) / 0.5 - 0.5 * 1 / 0.5;
  const s1 = (0.5 * -1 + 0.5 * 2) / 0.5 - (0.5 * 5) / 0.5;
  assert.ok(Math.abs(p.logits![0]! - (s0 + Math.log(0.5))) < 1e-5);
  assert.ok(Math.abs(p.logits![1]! - (s1 + Math.log(0.5))) < 1e-5);
});

test('LDA on real drawings: far above chance with Ledoit–Wolf shrinkage; no shrinkage on constant pixels is a clear error', async (t) => {
  const { p, metrics } = await run(lda, {}, trainF, testF, 'lda');
  const shrink = await run(lda, { shrinkage: 0.5 }, trainF, testF, 'lda-05');
  t.diagnostic(`LDA accuracy: auto (shrinkage ${metrics.shrinkage}) ${metrics.accuracy}, 0.5 ${shrink.metrics.accuracy}`);
  assert.ok((metrics.accuracy as number) > 0.55, `${metrics.accuracy}`);
  assert.ok((metrics.shrinkage as number) > 0 && (metrics.shrinkage as number) < 1);
  assert.equal(p.meta.classifier, 'lda');
  await assert.rejects(run(lda, { shrinkage: 0 }, trainF, testF, 'lda-0'), (e: Error) => e instanceof NodeUserError && /singular/.test(e.message));
});

test('LDA prior: uniform lifts balanced accuracy over the training prior when training is long-tailed', async (t) => {
  const trainPrior = await run(lda, { prior: 'train' }, ltTrainF, testF, 'lda-lt-train');
  const uniform = await run(lda, { prior: 'uniform' }, ltTrainF, testF, 'lda-lt-uniform');
  t.diagnostic(`balanced accuracy: train prior ${trainPrior.metrics.balanced_accuracy}, uniform ${uniform.metrics.balanced_accuracy}`);
  assert.ok((uniform.metrics.balanced_accuracy as number) > (trainPrior.metrics.balanced_accuracy as number));
});

test('GBDT on real drawings: far above chance, deterministic for a seed, different for another', async (t) => {
  const params = { rounds: 40, maxDepth: 3, learningRate: 0.2 };
  const a = await run(gbdt, params, trainF, testF, 'gbdt-a');
  const b = await run(gbdt, params, trainF, testF, 'gbdt-b');
  const c = await run(gbdt, { ...params, seed: 1 }, trainF, testF, 'gbdt-c');
  t.diagnostic(`GBDT accuracy ${a.metrics.accuracy} (seed 1: ${c.metrics.accuracy}), final train loss ${a.metrics.train_loss}`);
  assert.ok((a.metrics.accuracy as number) > 0.5, `${a.metrics.accuracy}`);
  assert.ok((a.metrics.train_loss as number) < Math.log(6) / 2);
  assert.deepEqual(readFileSync(join(b.dir, 'probs.npy')), readFileSync(join(a.dir, 'probs.npy')));
  assert.notDeepEqual(readFileSync(join(c.dir, 'probs.npy')), readFileSync(join(a.dir, 'probs.npy')));
  assert.ok(Math.abs(accuracy(a.p.probs, testLabels, 6)! - (a.metrics.accuracy as number)) < 1e-6);
});

test('GBDT learns a rule no linear classifier can (XOR of two signs); LDA cannot', async () => {
  const rng = new SeededRng(9);
  const make = (n: number) => {
    const xy: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < n; i++) {
      const x = rng.uniform(-1, 1);
      const y = rng.uniform(-1, 1);
      xy.push([x, y]);
      labels.push(x > 0 !== y > 0 ? 1 : 0);
    }
    return points(xy, labels);
  };
  const train = featuresArtifact('xor', make(400));
  const testIn = featuresArtifact('xor-test', make(200));
  const boosted = await run(gbdt, { rounds: 30, maxDepth: 2, subsample: 1, colsample: 1, learningRate: 0.3 }, train, testIn, 'xor-gbdt');
  const linear = await run(lda, {}, train, testIn, 'xor-lda');
  assert.ok((boosted.metrics.accuracy as number) > 0.95, `${boosted.metrics.accuracy}`);
  assert.ok((linear.metrics.accuracy as number) < 0.7, `${linear.metrics.accuracy}`);
});

test('feature classifiers: mismatched train/test features are user errors', async () => {
  const narrow = featuresArtifact('narrow', points([[0, 1]], [0], classes));
  for (const node of [lda, gbdt] as NodeDefinition[]) {
    await assert.rejects(run(node, {}, trainF, narrow, 'err'), (e: Error) => e instanceof NodeUserError && /196 dims but test features narrow have 2/.test(e.message));
  }
  const other = featuresArtifact('other', points([[0, 1]], [0], ['x', 'y']));
  const twoD = featuresArtifact('two-d', points([[0, 1], [1, 0]], [0, 1]));
  await assert.rejects(run(gbdt, {}, twoD, other, 'err2'), (e: Error) => e instanceof NodeUserError && /different classes/.test(e.message));
  await assert.rejects(run(gbdt, { bins: 1000 }, twoD, twoD, 'err3'), NodeUserError);
});

test('GBDT stops between rounds when the run is cancelled', async () => {
  const controller = new AbortController();
  let rounds = 0;
  const run = runNodeInProcess(gbdt, {
    params: { rounds: 500 },
    inputs: { train: [trainF], test: [testF] },
    signal: controller.signal,
    onEvent: (e) => {
      if (e.type === 'progress' && ++rounds === 2) controller.abort(new Error('cancelled by the test'));
    },
    ...nodeDirs('gbdt-abort'),
  });
  await assert.rejects(run, /cancelled by the test/);
  assert.equal(rounds, 2);
});
