import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { runNodeInProcess } from '../../src/exec/node-runner.js';
import { NodeUserError, type InputArtifact } from '../../src/exec/node-contract.js';
import { readPredictions } from '../../src/artifacts/predictions.js';
import { SeededRng, normal } from '../../src/data/rng.js';
import { accuracy, argmaxRows, balancedAccuracy } from '../../src/ensemble/probability.js';
import { sinkhorn } from '../../src/calibrate/sinkhorn.js';
import balance from '../../nodes/calibrate/balance.js';
import { featuresArtifact, loadPixels, logisticMember, lt100Classes, nodeDirs, predictionsArtifact } from './ensemble-fixtures.js';

const classes = lt100Classes.slice(0, 6);
/** A long-tailed training set (imbalance ratio 20) and the balanced test rows of the benchmark. */
const trainCounts = [100, 60, 36, 20, 10, 5];
let trainFeatures: InputArtifact;
let testPredictions: InputArtifact;

before(() => {
  const train = loadPixels(classes, (c) => [100, 100 + trainCounts[c]!]);
  const testSet = loadPixels(classes, () => [0, 100]);
  const [logits] = logisticMember(train, [testSet]);
  testPredictions = predictionsArtifact('lt-model', logits!, testSet.labels, classes);
  trainFeatures = featuresArtifact('train', train);
});

async function calibrate(params: unknown, inputs: Record<string, InputArtifact[]>, tag: string) {
  const r = await runNodeInProcess(balance, { params, inputs, ...nodeDirs(tag) });
  return { p: readPredictions(r.outputs.predictions!), metrics: r.metrics };
}

function columnSums(probs: Float32Array, C: number): number[] {
  const s = new Array<number>(C).fill(0);
  probs.forEach((x, i) => (s[i % C]! += x));
  return s;
}

function predictedCounts(probs: Float32Array, rows: number, C: number): number[] {
  const n = new Array<number>(C).fill(0);
  for (const c of argmaxRows(probs, rows, C)) n[c]!++;
  return n;
}

test('sinkhorn: columns sum to N × prior within tolerance, rows to 1, for uniform and skewed priors', () => {
  const rng = new SeededRng(5);
  const rows = 300;
  const C = 7;
  // Scores skewed towards the first classes, as a head-biased model's are.
  const scores = Float32Array.from({ length: rows * C }, (_, i) => 2 * normal(rng) - 0.6 * (i % C));
  for (const target of [new Array(C).fill(1 / C), [0.3, 0.2, 0.15, 0.15, 0.1, 0.05, 0.05]]) {
    const r = sinkhorn(scores, rows, target, { iterations: 2000, tolerance: 1e-5 });
    assert.ok(r.converged, `deviation ${r.maxDeviation}`);
    columnSums(r.probs, C).forEach((s, c) => assert.ok(Math.abs(s - rows * target[c]!) <= 1e-5 * rows * target[c]! + 1e-3, `class ${c}: ${s} vs ${rows * target[c]!}`));
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let c = 0; c < C; c++) s += r.probs[i * C + c]!;
      assert.ok(Math.abs(s - 1) < 1e-5);
    }
    // A per-class offset on the scores reproduces the result: softmax(score + logScale).
    const row = Array.from({ length: C }, (_, c) => Math.exp(scores[c]! + r.logScale[c]!));
    const z = row.reduce((a, b) => a + b, 0);
    row.forEach((x, c) => assert.ok(Math.abs(x / z - r.probs[c]!) < 1e-5));
  }
});

test('balanced assignment of a long-tail-trained model on balanced test rows: column sums match, predictions balance, accuracy rises', async (t) => {
  const before = readPredictions(testPredictions.path);
  const { p, metrics } = await calibrate({ tolerance: 1e-4 }, { predictions: [testPredictions] }, 'sinkhorn');
  const rows = p.rows;
  columnSums(p.probs, 6).forEach((s) => assert.ok(Math.abs(s - rows / 6) <= 1e-4 * (rows / 6) + 1e-3, `column sum ${s}`));
  assert.equal(metrics.sinkhorn_converged, true);
  const countsBefore = predictedCounts(before.probs, rows, 6);
  const countsAfter = predictedCounts(p.probs, rows, 6);
  const spread = (n: number[]) => Math.max(...n) - Math.min(...n);
  const accBefore = accuracy(before.probs, before.labels, 6)!;
  t.diagnostic(`predicted per class before ${countsBefore}, after ${countsAfter}; accuracy ${accBefore.toFixed(3)} → ${metrics.accuracy}`);
  assert.ok(countsBefore[0]! > 130 && countsBefore[5]! < 70, `the model should be head-biased: ${countsBefore}`);
  assert.ok(spread(countsAfter) < spread(countsBefore) / 2, `${countsAfter}`);
  assert.ok((metrics.accuracy as number) > accBefore + 0.03);
  // Logits written are consistent with the probabilities.
  const again = Float32Array.from(p.logits!);
  const z = Array.from({ length: 6 }, (_, c) => Math.exp(again[c]!));
  const sum = z.reduce((a, b) => a + b, 0);
  z.forEach((x, c) => assert.ok(Math.abs(x / sum - p.probs[c]!) < 1e-4));
});

test('logit adjustment subtracts τ·log(training prior), counted from the train input\'s labels', async (t) => {
  const before = readPredictions(testPredictions.path);
  const { p, metrics } = await calibrate({ assign: 'none', tau: 0.5 }, { predictions: [testPredictions], train: [trainFeatures] }, 'adjust');
  const total = trainCounts.reduce((a, b) => a + b, 0);
  for (let i = 0; i < 60; i++) {
    const expected = before.logits![i]! - 0.5 * Math.log(trainCounts[i % 6]! / total);
    assert.ok(Math.abs(p.logits![i]! - expected) < 1e-4);
  }
  const full = await calibrate({ assign: 'none', trainCounts }, { predictions: [testPredictions] }, 'adjust-1');
  const accBefore = balancedAccuracy(before.probs, before.labels, 6)!;
  t.diagnostic(`balanced accuracy ${accBefore.toFixed(3)} → τ=0.5 ${metrics.balanced_accuracy}, τ=1 ${full.metrics.balanced_accuracy}`);
  assert.ok((full.metrics.balanced_accuracy as number) > accBefore);
  // With balanced assignment after it, the adjustment (a per-class offset) is absorbed by
  // Sinkhorn's own per-class scaling: the same probabilities as Sinkhorn alone.
  const both = await calibrate({ trainCounts, tolerance: 1e-6 }, { predictions: [testPredictions] }, 'both');
  const alone = await calibrate({ tolerance: 1e-6 }, { predictions: [testPredictions] }, 'alone');
  for (let i = 0; i < both.p.probs.length; i++) assert.ok(Math.abs(both.p.probs[i]! - alone.p.probs[i]!) < 1e-4);
});

test('calibrate/balance user errors: mismatched classes, zero-count class, wrong lengths, nothing to do', async () => {
  const other = predictionsArtifact('other', new Float32Array(12), new Int32Array(2), ['x', 'y', 'z', 'w', 'v', 'u']);
  const cases: [unknown, Record<string, InputArtifact[]>, RegExp][] = [
    [{}, { predictions: [testPredictions], train: [other] }, /training classes differ/],
    [{ trainCounts: [5, 4, 3, 2, 1, 0] }, { predictions: [testPredictions] }, /class "[^"]+" has no weight \(count 0\); set smoothing > 0/],
    [{ trainCounts: [5, 4] }, { predictions: [testPredictions] }, /trainCounts has 2 entries for 6 classes/],
    [{ targetPrior: [1, 1, 1] }, { predictions: [testPredictions] }, /targetPrior has 3 entries for 6 classes/],
    [{ assign: 'none' }, { predictions: [testPredictions] }, /nothing to do/],
    [{ trainCounts }, { predictions: [testPredictions], train: [trainFeatures] }, /either as a train input or as trainCounts/],
  ];
  for (const [params, inputs, message] of cases) {
    await assert.rejects(calibrate(params, inputs, 'err'), (e: Error) => e instanceof NodeUserError && message.test(e.message), String(message));
  }
  // Smoothing makes an empty class usable.
  const ok = await calibrate({ trainCounts: [5, 4, 3, 2, 1, 0], smoothing: 1, assign: 'none' }, { predictions: [testPredictions] }, 'smooth');
  assert.equal(ok.p.rows, 600);
});
