/**
 * Real predictions for the eval and report tests: a nearest-class-mean classifier on Quick, Draw!
 * bitmaps from ../shared/data/quickdraw, trained on a long-tailed split and scored on a balanced one.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNpyRows } from '../../src/data/npy.js';
import { writeDataset } from '../../src/data/dataset.js';
import { writePredictions, type Predictions } from '../../src/artifacts/predictions.js';
import type { InputArtifact } from '../../src/exec/node-contract.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const quickdrawDir = join(repoRoot, '..', 'shared', 'data', 'quickdraw');

const scratch: string[] = [];
process.on('exit', () => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

export function scratchDir(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), `dag-eval-${tag}-`));
  scratch.push(dir);
  return dir;
}

export function artifact(path: string, producer = 'test'): InputArtifact {
  return { path, digest: '0'.repeat(64), producer, output: 'out' };
}

export interface NcmFixture {
  classes: string[];
  trainDir: string;
  testDir: string;
  predsDir: string;
  trainCounts: number[];
  predictions: Predictions;
}

/**
 * `trainCounts[i]` training rows of class i (rows testPerClass.. of its file) and `testPerClass`
 * test rows (the first rows), from the first classes of the LT100 list. Probabilities are a
 * softmax of negative squared distances to each class mean (pixels in [0, 1]).
 */
export function nearestClassMean(root: string, trainCounts: number[], testPerClass: number, temperature = 4): NcmFixture {
  const classes = readFileSync(join(quickdrawDir, 'lt100-classes.txt'), 'utf8').split('\n').filter(Boolean).slice(0, trainCounts.length);
  const P = 28 * 28;
  const C = classes.length;
  const means = new Float64Array(C * P);
  const trainImgs: Uint8Array[] = [];
  const trainLabels: number[] = [];
  const testImgs: Uint8Array[] = [];
  const testLabels: number[] = [];
  classes.forEach((name, c) => {
    const file = join(quickdrawDir, 'numpy_bitmap', `${name}.npy`);
    const test = readNpyRows(file, 0, testPerClass).data as Uint8Array;
    const train = readNpyRows(file, testPerClass, testPerClass + trainCounts[c]!).data as Uint8Array;
    testImgs.push(test);
    trainImgs.push(train);
    for (let r = 0; r < testPerClass; r++) testLabels.push(c);
    for (let r = 0; r < trainCounts[c]!; r++) trainLabels.push(c);
    for (let i = 0; i < train.length; i++) means[c * P + (i % P)]! += train[i]! / 255 / trainCounts[c]!;
  });
  const concat = (parts: Uint8Array[]) => {
    const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  };
  const testImages = concat(testImgs);
  const trainDir = join(root, 'train');
  const testDir = join(root, 'test');
  const predsDir = join(root, 'preds');
  for (const d of [trainDir, testDir, predsDir]) mkdirSync(d, { recursive: true });
  writeDataset(trainDir, { images: concat(trainImgs), count: trainLabels.length, height: 28, width: 28, labels: Int32Array.from(trainLabels), classes, meta: { source: 'quickdraw', split: 'train' } });
  writeDataset(testDir, { images: testImages, count: testLabels.length, height: 28, width: 28, labels: Int32Array.from(testLabels), classes, meta: { source: 'quickdraw', split: 'test' } });
  const N = testLabels.length;
  const probs = new Float32Array(N * C);
  for (let r = 0; r < N; r++) {
    const d = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let i = 0; i < P; i++) { const v = testImages[r * P + i]! / 255 - means[c * P + i]!; s += v * v; }
      d[c] = -s / temperature;
    }
    const max = Math.max(...d);
    let z = 0;
    for (let c = 0; c < C; c++) z += Math.exp(d[c]! - max);
    for (let c = 0; c < C; c++) probs[r * C + c] = Math.exp(d[c]! - max) / z;
  }
  const predictions: Predictions = { probs, rows: N, numClasses: C, labels: Int32Array.from(testLabels), classes, meta: { split: 'test', name: 'nearest class mean' } };
  writePredictions(predsDir, predictions);
  return { classes, trainDir, testDir, predsDir, trainCounts, predictions };
}
