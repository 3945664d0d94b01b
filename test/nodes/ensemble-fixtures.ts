// Realistic inputs for the ensemble, calibration, few-shot and feature-classifier node tests:
// real Quick, Draw! bitmaps, and predictions of simple deterministic classifiers trained on them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InputArtifact } from '../../src/exec/node-contract.js';
import { readNpy } from '../../src/data/npy.js';
import { readPredictions, writeFeatures, writePredictions } from '../../src/artifacts/predictions.js';
import { fitSoftmaxRegression, predictLogits } from '../../src/ensemble/softmax-regression.js';
import { softmaxRows } from '../../src/ensemble/probability.js';
import { quickdrawDir, scratchDir } from '../data/fixtures.js';

export const lt100Classes = readFileSync(join(quickdrawDir, 'lt100-classes.txt'), 'utf8').trim().split('\n');

/** Rows × dims pixel features in [0, 1], average-pooled from 28 × 28. */
export interface PixelSet {
  x: Float32Array;
  rows: number;
  dims: number;
  labels: Int32Array;
  classes: string[];
}

const bitmaps = new Map<string, Uint8Array>();
function bitmap(cls: string): Uint8Array {
  let b = bitmaps.get(cls);
  if (!b) {
    b = readNpy(join(quickdrawDir, 'numpy_bitmap', `${cls}.npy`)).data as Uint8Array;
    bitmaps.set(cls, b);
  }
  return b;
}

/** Rows [start, end) of each class's file (row k = line k of its ndjson), pooled by `pool`. */
export function loadPixels(classes: string[], range: (label: number) => [number, number], pool = 2): PixelSet {
  const side = 28 / pool;
  const dims = side * side;
  const xs: number[] = [];
  const labels: number[] = [];
  classes.forEach((cls, label) => {
    const b = bitmap(cls);
    const [start, end] = range(label);
    for (let r = start; r < end; r++) {
      const img = b.subarray(r * 784, (r + 1) * 784);
      for (let i = 0; i < side; i++) {
        for (let j = 0; j < side; j++) {
          let s = 0;
          for (let di = 0; di < pool; di++) for (let dj = 0; dj < pool; dj++) s += img[(i * pool + di) * 28 + j * pool + dj]!;
          xs.push(s / (255 * pool * pool));
        }
      }
      labels.push(label);
    }
  });
  return { x: Float32Array.from(xs), rows: labels.length, dims, labels: Int32Array.from(labels), classes };
}

/** Keeps only the columns `keep(dim)` says yes to: a member that looks at part of the drawing. */
export function selectDims(set: PixelSet, keep: (dim: number) => boolean): PixelSet {
  const cols = Array.from({ length: set.dims }, (_, d) => d).filter(keep);
  const x = new Float32Array(set.rows * cols.length);
  for (let r = 0; r < set.rows; r++) cols.forEach((d, k) => (x[r * cols.length + k] = set.x[r * set.dims + d]!));
  return { ...set, x, dims: cols.length };
}

/** Logistic regression on pixels: a deterministic, honest classifier to make member predictions. */
export function logisticMember(train: PixelSet, targets: PixelSet[], l2 = 1e-3, iterations = 60): Float32Array[] {
  const model = fitSoftmaxRegression(
    { x: train.x, rows: train.rows, dims: train.dims, labels: train.labels, classes: train.classes.length },
    { structure: 'full', l2, iterations },
  );
  return targets.map((t) => predictLogits(model, t.x, t.rows));
}

let artifactCount = 0;
export function artifact(path: string, producer: string, output = 'predictions'): InputArtifact {
  return { path, digest: `test-${producer}`, producer, output };
}

/** Writes logits (and their softmax) as a predictions artifact; `withLogits: false` keeps probs only. */
export function predictionsArtifact(producer: string, logits: Float32Array, labels: Int32Array, classes: string[], withLogits = true): InputArtifact {
  const dir = scratchDir(`preds-${artifactCount++}`);
  const rows = labels.length;
  const probs = softmaxRows(logits, rows, classes.length);
  writePredictions(dir, { probs, ...(withLogits ? { logits } : {}), rows, numClasses: classes.length, labels, classes, meta: { producer } });
  return artifact(dir, producer);
}

export function featuresArtifact(producer: string, set: PixelSet, hideLabels = false): InputArtifact {
  const dir = scratchDir(`feats-${artifactCount++}`);
  writeFeatures(dir, { features: set.x, rows: set.rows, dims: set.dims, labels: hideLabels ? new Int32Array(set.rows).fill(-1) : set.labels, classes: set.classes, meta: {} });
  return artifact(dir, producer, 'features');
}

export function nodeDirs(tag: string): { outputRoot: string; resumeDir: string } {
  const root = scratchDir(tag);
  return { outputRoot: join(root, 'out'), resumeDir: join(root, 'resume') };
}

export interface MemberArtifacts {
  val: InputArtifact;
  test: InputArtifact;
}

/**
 * Four ensemble members: logistic regressions on different views of the drawing (all of it, the
 * left half, the top half, the centre), trained on 40 drawings per class and predicting 60
 * validation drawings per class and the benchmark's first 80 test drawings per class.
 */
export function pixelMembers(classes: string[]): MemberArtifacts[] {
  const train = loadPixels(classes, () => [100, 140]);
  const val = loadPixels(classes, () => [200, 260]);
  const testSet = loadPixels(classes, () => [0, 80]);
  const views: [string, (s: PixelSet) => PixelSet][] = [
    ['full', (s) => s],
    ['left', (s) => selectDims(s, (d) => d % 14 < 7)],
    ['top', (s) => selectDims(s, (d) => Math.floor(d / 14) < 7)],
    ['centre', (s) => selectDims(s, (d) => Math.abs((d % 14) - 6.5) < 4 && Math.abs(Math.floor(d / 14) - 6.5) < 4)],
  ];
  return views.map(([name, view]) => {
    const [v, t] = logisticMember(view(train), [view(val), view(testSet)]);
    return {
      val: predictionsArtifact(`${name}-val`, v!, val.labels, classes),
      test: predictionsArtifact(`${name}-test`, t!, testSet.labels, classes),
    };
  });
}

/** The first counts[c] rows of class c of a member's predictions made by pixelMembers (60 per class, grouped): a long-tailed split. */
export function longTailedRows(a: InputArtifact, name: string, counts: number[]): InputArtifact {
  const p = readPredictions(a.path);
  const rows = Array.from({ length: p.rows }, (_, r) => r).filter((r) => r % 60 < counts[Math.floor(r / 60)]!);
  const C = p.numClasses;
  const logits = new Float32Array(rows.length * C);
  rows.forEach((r, i) => logits.set(p.logits!.subarray(r * C, (r + 1) * C), i * C));
  return predictionsArtifact(name, logits, Int32Array.from(rows, (r) => p.labels[r]!), p.classes);
}
