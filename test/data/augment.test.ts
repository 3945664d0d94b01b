import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { augmentBatch, augmentSpecSchema, cutmix, mixup, sampleAffine } from '../../src/data/augment.js';
import { readNpyRows } from '../../src/data/npy.js';
import { SeededRng } from '../../src/data/rng.js';
import { runNodeInProcess } from '../../src/exec/node-runner.js';
import { readDataset, writeDataset } from '../../src/data/dataset.js';
import augmentNode from '../../nodes/data/augment.js';
import { quickdrawDir, scratchDir } from './fixtures.js';

const N = 16;
const raw = readNpyRows(join(quickdrawDir, 'numpy_bitmap', 'cat.npy'), 0, N).data as Uint8Array;
const batch = () => tf.tensor4d(Float32Array.from(raw), [N, 28, 28, 1]);

function ink(img: ArrayLike<number>): number {
  let m = 0;
  for (let k = 0; k < img.length; k++) m += img[k]!;
  return m;
}

function centroid(img: ArrayLike<number>): [number, number] {
  let m = 0, sx = 0, sy = 0;
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) {
    const v = img[y * 28 + x]!;
    m += v; sx += v * x; sy += v * y;
  }
  return [sx / m, sy / m];
}

test('an all-zero spec returns the images unchanged', () => {
  const out = augmentBatch(batch(), {}, new SeededRng(1));
  assert.deepEqual(Array.from(out.dataSync()), Array.from(raw));
});

test('same seed, same batch; another seed, another batch', () => {
  const spec = { rotation: 15, widthShift: 0.1, heightShift: 0.1, shear: 10, zoom: 0.1, horizontalFlip: true };
  const a = augmentBatch(batch(), spec, new SeededRng(5)).dataSync();
  const b = augmentBatch(batch(), spec, new SeededRng(5)).dataSync();
  const c = augmentBatch(batch(), spec, new SeededRng(6)).dataSync();
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.notDeepEqual(Array.from(a), Array.from(raw));
});

test('horizontal flip mirrors about half the images exactly, leaves the others', () => {
  const out = augmentBatch(batch(), { horizontalFlip: true }, new SeededRng(3)).dataSync();
  let flipped = 0;
  for (let i = 0; i < N; i++) {
    const img = Array.from(out.subarray(i * 784, (i + 1) * 784));
    const orig = Array.from(raw.subarray(i * 784, (i + 1) * 784));
    const mirror = orig.map((_, k) => orig[Math.floor(k / 28) * 28 + (27 - (k % 28))]!);
    if (img.every((v, k) => v === mirror[k])) flipped++;
    else assert.deepEqual(img, orig, `image ${i} neither original nor mirrored`);
  }
  assert.ok(flipped > 2 && flipped < N - 2, `${flipped} of ${N} flipped`);
});

test('geometry: the ink centroid moves as the sampled affine map says', () => {
  const spec = { rotation: 20, widthShift: 0.05, heightShift: 0.05, shear: 10, zoom: 0.1 };
  const out = augmentBatch(batch(), spec, new SeededRng(11)).dataSync();
  const replay = new SeededRng(11);
  const resolved = augmentSpecSchema.parse(spec);
  let checked = 0;
  for (let i = 0; i < N; i++) {
    const m = sampleAffine(resolved, 28, 28, replay);
    // Ink scales with the map's area factor unless part of the drawing left the frame; skip those.
    const expectedInk = Math.abs(m.a * m.d - m.b * m.c) * ink(raw.subarray(i * 784, (i + 1) * 784));
    if (Math.abs(ink(out.subarray(i * 784, (i + 1) * 784)) / expectedInk - 1) > 0.02) continue;
    checked++;
    const [x, y] = centroid(raw.subarray(i * 784, (i + 1) * 784));
    const want = [m.a * x + m.b * y + m.tx, m.c * x + m.d * y + m.ty];
    const got = centroid(out.subarray(i * 784, (i + 1) * 784));
    assert.ok(Math.hypot(got[0] - want[0]!, got[1] - want[1]!) < 0.15, `image ${i}: centroid ${got} expected ${want}`);
  }
  assert.ok(checked >= N / 2, `only ${checked} images kept all their ink`);
});

test('mixup mixes images and one-hot labels with the same λ', () => {
  const labels = tf.oneHot(tf.tensor1d(Array.from({ length: N }, (_, i) => i % 4), 'int32'), 4).toFloat() as tf.Tensor2D;
  const r = mixup(batch(), labels, 0.4, new SeededRng(2));
  const lam = r.lambda[0]!;
  assert.ok(lam > 0 && lam < 1);
  const img = r.images.dataSync();
  const lab = r.labels.arraySync();
  for (let i = 0; i < N; i++) {
    const j = r.partner[i]!;
    for (let k = 0; k < 784; k += 37) assert.ok(Math.abs(img[i * 784 + k]! - (lam * raw[i * 784 + k]! + (1 - lam) * raw[j * 784 + k]!)) < 1e-3);
    assert.ok(Math.abs(lab[i]!.reduce((a, b) => a + b, 0) - 1) < 1e-6);
    if (i % 4 !== j % 4) assert.ok(Math.abs(lab[i]![i % 4]! - lam) < 1e-6);
  }
});

test('cutmix pastes a box of the partner and weighs labels by its area', () => {
  const labels = tf.oneHot(tf.tensor1d(Array.from({ length: N }, (_, i) => i % 4), 'int32'), 4).toFloat() as tf.Tensor2D;
  const r = cutmix(batch(), labels, 1, new SeededRng(9));
  const img = r.images.dataSync();
  const lab = r.labels.arraySync();
  for (let i = 0; i < N; i++) {
    const j = r.partner[i]!;
    let fromPartner = 0;
    for (let k = 0; k < 784; k++) {
      const v = img[i * 784 + k]!, own = raw[i * 784 + k]!, other = raw[j * 784 + k]!;
      assert.ok(v === own || v === other);
      if (v === other && v !== own) fromPartner++;
    }
    assert.ok(fromPartner <= Math.round((1 - r.lambda[i]!) * 784));
    if (i % 4 !== j % 4) assert.ok(Math.abs(lab[i]![i % 4]! - r.lambda[i]!) < 1e-6);
  }
});

test('data/augment node: originals then copies, deterministic, independent of batch size', async () => {
  const src = scratchDir('aug-src');
  writeDataset(src, { images: raw, count: N, height: 28, width: 28, labels: Int32Array.from({ length: N }, (_, i) => i % 2), classes: ['a', 'b'], meta: { source: 'test', split: 'train' } });
  const runWith = async (batchSize: number) => {
    const root = scratchDir('aug');
    const r = await runNodeInProcess(augmentNode, {
      params: { augment: { rotation: 10, zoom: 0.1, horizontalFlip: true }, copies: 2, seed: 1, batchSize },
      inputs: { dataset: [{ path: src, digest: 'x', producer: 'test', output: 'train' }] },
      outputRoot: join(root, 'out'),
      resumeDir: join(root, 'resume'),
    });
    return readDataset(r.outputs.dataset!);
  };
  const a = await runWith(5);
  const b = await runWith(16);
  assert.equal(a.count, 3 * N);
  assert.deepEqual(a.images.subarray(0, N * 784), raw);
  assert.deepEqual(Array.from(a.labels.subarray(N, 2 * N)), Array.from({ length: N }, (_, i) => i % 2));
  assert.deepEqual(a.images, b.images);
  assert.notDeepEqual(a.images.subarray(N * 784, 2 * N * 784), a.images.subarray(2 * N * 784));
});

test('the wasm backend (batched kernel) gives the same images as the cpu backend (per image)', async () => {
  const spec = { rotation: 15, widthShift: 0.1, heightShift: 0.1, shear: 10, zoom: 0.1, horizontalFlip: true };
  await tf.setBackend('cpu');
  const onCpu = augmentBatch(batch(), spec, new SeededRng(21)).dataSync();
  await import('@tensorflow/tfjs-backend-wasm');
  assert.ok(await tf.setBackend('wasm'), 'wasm backend did not start');
  try {
    const onWasm = augmentBatch(batch(), spec, new SeededRng(21)).dataSync();
    let worst = 0;
    for (let i = 0; i < onCpu.length; i++) worst = Math.max(worst, Math.abs(onCpu[i]! - onWasm[i]!));
    assert.ok(worst < 0.01, `largest pixel difference ${worst}`);
  } finally {
    await tf.setBackend('cpu');
  }
});
