/**
 * Base CNN: `depth` blocks (default 3) of [3×3 conv → BN → ReLU] ×2 → 2×2 max-pool → spatial
 * dropout, with 32·2^i·width filters in block i, then global average pooling → dropout → dense.
 * At width 1 and 100 classes it has about 300k parameters.
 */
import * as tf from '@tensorflow/tfjs';
import { LayerFactory, type Sym } from './builder.js';
import type { ModelSpec } from './spec.js';

export function buildCnn(spec: ModelSpec, f: LayerFactory, input: Sym): Sym {
  const blocks = spec.depth ?? 3;
  let x = input;
  for (let i = 0; i < blocks; i++) {
    const filters = Math.max(1, Math.round(32 * 2 ** i * spec.width));
    x = f.convBnRelu(x, `block${i + 1}a`, filters, 3);
    x = f.convBnRelu(x, `block${i + 1}b`, filters, 3);
    x = tf.layers.maxPooling2d({ name: `block${i + 1}_pool`, poolSize: 2, padding: 'same' }).apply(x) as Sym;
    x = f.spatialDropout(x, `block${i + 1}_sdrop`);
  }
  return f.head(x);
}
