/**
 * Real learning on real drawings: three Quick, Draw! classes from the shared data folder, trained
 * on rows 100–299 of each class and scored on the held-out first 100 rows (the LT100 convention).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildModel } from '../../src/ml/models/index.js';
import { evaluate, trainClassifier, type ImageSet } from '../../src/ml/train/index.js';
import { useTestBackend } from './train-helpers.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const bitmaps = join(repoRoot, '..', 'shared', 'data', 'quickdraw', 'numpy_bitmap');

/** Minimal .npy reader for Google's numpy_bitmap files: uint8, C order, shape (N, 784). */
function readBitmapNpy(path: string): { rows: number; data: Uint8Array } {
  const buf = readFileSync(path);
  assert.equal(buf.toString('latin1', 1, 6), 'NUMPY', `${path} is not a .npy file`);
  const major = buf[6]!;
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLen;
  const header = buf.toString('latin1', major === 1 ? 10 : 12, start);
  assert.match(header, /'descr': '\|u1'/);
  assert.match(header, /'fortran_order': False/);
  const shape = /'shape': \((\d+), (\d+)\)/.exec(header)!;
  assert.equal(Number(shape[2]), 784);
  return { rows: Number(shape[1]), data: new Uint8Array(buf.buffer, buf.byteOffset + start, Number(shape[1]) * 784) };
}

const CLASSES = ['apple', 'bicycle', 'eye'];
const PER_CLASS_TEST = 100;
const PER_CLASS_TRAIN = 190;

function split(rows: [number, number]): ImageSet {
  const count = rows[1] - rows[0];
  const images = new Uint8Array(CLASSES.length * count * 784);
  const labels = new Int32Array(CLASSES.length * count);
  CLASSES.forEach((name, k) => {
    const { rows: n, data } = readBitmapNpy(join(bitmaps, `${name}.npy`));
    assert.ok(n >= rows[1], `${name}.npy has only ${n} rows`);
    images.set(data.subarray(rows[0] * 784, rows[1] * 784), k * count * 784);
    labels.fill(k, k * count, (k + 1) * count);
  });
  return { images, imageShape: [28, 28, 1], labels };
}

test('a small CNN learns three Quick, Draw! classes: held-out accuracy well above chance', async () => {
  await useTestBackend();
  const heldOut = split([0, PER_CLASS_TEST]);
  const train = split([PER_CLASS_TEST, PER_CLASS_TEST + PER_CLASS_TRAIN]);
  const model = buildModel({ arch: 'cnn', inputShape: [28, 28, 1], numClasses: 3, width: 0.25, dropout: 0.1, bnMomentum: 0.9 }, { seed: 1 });
  const before = evaluate(model, heldOut).accuracy;
  const result = await trainClassifier({
    model, train, epochs: 4, batchSize: 32, seed: 1,
    optimizer: { kind: 'adam', lr: 0.005 },
    loss: { labelSmoothing: 0.1 },
  });
  const after = evaluate(model, heldOut).accuracy;
  const ips = result.history.map((h) => h.images_per_sec.toFixed(0)).join(', ');
  console.log(`quickdraw 3 classes: held-out accuracy ${before.toFixed(3)} -> ${after.toFixed(3)}; images/s per epoch ${ips}`);
  assert.ok(after >= 0.8, `held-out accuracy ${after} (chance 0.33)`);
  model.dispose();
});
