import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { runNodeInProcess } from '../../src/exec/node-runner.js';
import { NodeUserError, type InputArtifact } from '../../src/exec/node-contract.js';
import { readPredictions } from '../../src/artifacts/predictions.js';
import { accuracy, argmaxRows, balancedAccuracy } from '../../src/ensemble/probability.js';
import prototypes from '../../nodes/fewshot/prototypes.js';
import { featuresArtifact, loadPixels, logisticMember, lt100Classes, nodeDirs, predictionsArtifact, type PixelSet } from './ensemble-fixtures.js';

const classes = lt100Classes.slice(0, 6);
const trainCounts = [100, 60, 36, 20, 10, 5];
let trainF: InputArtifact;
let testF: InputArtifact;
let model: InputArtifact;

before(() => {
  const train = loadPixels(classes, (c) => [100, 100 + trainCounts[c]!]);
  const testSet = loadPixels(classes, () => [0, 100]);
  trainF = featuresArtifact('train-pixels', train);
  testF = featuresArtifact('test-pixels', testSet, true);
  model = predictionsArtifact('lt-model', logisticMember(train, [testSet])[0]!, testSet.labels, classes);
});

async function run(params: unknown, inputs: Record<string, InputArtifact[]>, tag: string) {
  const r = await runNodeInProcess(prototypes, { params, inputs, ...nodeDirs(tag) });
  return { p: readPredictions(r.outputs.predictions!), metrics: r.metrics };
}

function recall(probs: Float32Array, labels: Int32Array, cls: number[]): number {
  const pred = argmaxRows(probs, labels.length, 6);
  let n = 0;
  let right = 0;
  labels.forEach((l, r) => {
    if (!cls.includes(l)) return;
    n++;
    if (pred[r] === l) right++;
  });
  return right / n;
}

function set(points: number[][], labels: number[], names: string[]): PixelSet {
  return { x: Float32Array.from(points.flat()), rows: points.length, dims: points[0]!.length, labels: Int32Array.from(labels), classes: names };
}

test('euclidean prototypes on points: softmax of minus squared distance to each class mean over temperature', async () => {
  const train = featuresArtifact('pts-train', set([[0, 0], [2, 0], [0, 4], [0, 6]], [0, 0, 1, 1], ['a', 'b', 'c']));
  const testPts = featuresArtifact('pts-test', set([[1, 1], [0, 5]], [-1, -1], ['a', 'b', 'c']));
  const { p } = await run({ metric: 'euclidean', temperature: 4 }, { train_features: [train], test_features: [testPts] }, 'pts');
  // Means (1, 0) and (0, 5); class c has no rows and gets probability 0.
  const d0 = [1, 17];
  const e = d0.map((d) => Math.exp(-d / 4));
  assert.ok(Math.abs(p.probs[0]! - e[0]! / (e[0]! + e[1]!)) < 1e-6);
  assert.equal(p.probs[2], 0);
  assert.ok(p.probs[4]! > 0.99);
  assert.deepEqual(p.meta.classesWithoutPrototype, ['c']);
});

test('re-ranking mixes prototype probabilities into the model\'s top K only, keeping their mass', async () => {
  const train = featuresArtifact('rr-train', set([[1, 0], [0, 1], [-1, 0]], [0, 1, 2], ['a', 'b', 'c']));
  const testPts = featuresArtifact('rr-test', set([[0, 1]], [1], ['a', 'b', 'c']));
  const m = predictionsArtifact('rr-model', Float32Array.from([0.5, 0.3, 0.2], Math.log), Int32Array.from([1]), ['a', 'b', 'c'], false);
  const { p } = await run({ k: 2, blend: 0.5, centre: false, temperature: 0.5 }, { train_features: [train], test_features: [testPts], predictions: [m] }, 'rr');
  // Top 2 = a, b with mass 0.8; cosine similarities 0 and 1 → prototype softmax over {a, b} at T = 0.5.
  const pb = Math.exp(2) / (Math.exp(0) + Math.exp(2));
  assert.ok(Math.abs(p.probs[0]! - 0.8 * (0.5 * (0.5 / 0.8) + 0.5 * (1 - pb))) < 1e-6);
  assert.ok(Math.abs(p.probs[1]! - 0.8 * (0.5 * (0.3 / 0.8) + 0.5 * pb)) < 1e-6);
  assert.ok(Math.abs(p.probs[2]! - 0.2) < 1e-6);
});

test('prototypes on real drawings: far above chance alone; re-ranking a long-tail-trained model lifts its tail classes', async (t) => {
  const alone = await run({}, { train_features: [trainF], test_features: [testF] }, 'alone');
  // The test features carry no labels: accuracy is scored against the model's labels here.
  const labels = readPredictions(model.path).labels;
  const aloneAcc = accuracy(alone.p.probs, labels, 6)!;
  const rr = await run({ k: 3, blend: 0.5 }, { train_features: [trainF], test_features: [testF], predictions: [model] }, 'rerank');
  const modelProbs = readPredictions(model.path).probs;
  const tail = [4, 5];
  t.diagnostic(`prototypes alone: accuracy ${aloneAcc.toFixed(3)}, balanced ${balancedAccuracy(alone.p.probs, labels, 6)!.toFixed(3)}`);
  t.diagnostic(`model: balanced ${rr.metrics.model_balanced_accuracy}, tail recall ${recall(modelProbs, labels, tail).toFixed(3)}; re-ranked: balanced ${rr.metrics.balanced_accuracy}, tail recall ${recall(rr.p.probs, labels, tail).toFixed(3)}, changed ${rr.metrics.changed_rows}`);
  assert.ok(aloneAcc > 0.45, `${aloneAcc}`);
  assert.ok(recall(rr.p.probs, labels, tail) > recall(modelProbs, labels, tail) + 0.05);
  assert.ok((rr.metrics.balanced_accuracy as number) > (rr.metrics.model_balanced_accuracy as number));
  for (let r = 0; r < rr.p.rows; r += 50) {
    let s = 0;
    for (let c = 0; c < 6; c++) s += rr.p.probs[r * 6 + c]!;
    assert.ok(Math.abs(s - 1) < 1e-5);
  }
});

test('fewshot/prototypes user errors: dims, classes and rows must match', async () => {
  const narrow = featuresArtifact('narrow', set([[0, 1]], [0], classes.slice(0, 1).concat(classes.slice(1))));
  await assert.rejects(run({}, { train_features: [trainF], test_features: [narrow] }, 'e1'), (e: Error) => e instanceof NodeUserError && /196 dims but test_features have 2/.test(e.message));
  const few = predictionsArtifact('few', new Float32Array(12), Int32Array.from([0, 1]), classes);
  await assert.rejects(run({}, { train_features: [trainF], test_features: [testF], predictions: [few] }, 'e2'), (e: Error) => e instanceof NodeUserError && /rows/.test(e.message));
  await assert.rejects(run({ blend: 2 }, { train_features: [trainF], test_features: [testF] }, 'e3'), NodeUserError);
});
