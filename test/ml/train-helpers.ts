/** Shared by the ML tests: synthetic image sets (class k lights up quadrant k), weight dumps, backend, temp dirs. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/ml/rng.js';
import type { TrainingSet } from '../../src/ml/train/index.js';

export function quadrantSet(n: number, size: number, seed: number, numClasses = 4): TrainingSet {
  const rng = new Rng(seed);
  const images = new Uint8Array(n * size * size);
  const labels = new Int32Array(n);
  const half = size / 2;
  for (let i = 0; i < n; i++) {
    const k = i % numClasses;
    labels[i] = k;
    const qy = Math.floor(k / 2) * half;
    const qx = (k % 2) * half;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const inside = y >= qy && y < qy + half && x >= qx && x < qx + half;
        images[i * size * size + y * size + x] = Math.min(255, (inside ? 120 : 0) + rng.int(110));
      }
    }
  }
  return { images, imageShape: [size, size, 1], labels };
}

/** Every weight of the model, flattened, for bit-for-bit comparison. */
export function flatWeights(model: tf.LayersModel): Float32Array {
  const parts = model.weights.map((w) => w.read().dataSync() as Float32Array);
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A seeded augmentation: random horizontal flip of the batch plus seeded pixel noise. */
export function noisyFlip(batch: tf.Tensor4D, rng: Rng): tf.Tensor4D {
  const flipped = rng.next() < 0.5 ? tf.reverse(batch, 2) : batch;
  return tf.clipByValue(tf.add(flipped, tf.randomUniform(batch.shape, -0.05, 0.05, 'float32', rng.tfSeed())), 0, 1) as tf.Tensor4D;
}

/** The backend the ML tests run on: DAG_BACKEND when set, else wasm (cpu's conv gradients are too slow). */
export async function useTestBackend(): Promise<string> {
  const { initBackend, resolveBackendChoice } = await import('../../src/ml/backend.js');
  const choice = resolveBackendChoice(undefined);
  return (await initBackend(choice === 'auto' ? 'wasm' : choice)).name;
}

/** A fresh temporary directory, removed when the test ends. */
export async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dag-ml-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
