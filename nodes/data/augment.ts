/**
 * data/augment: a materialised augmented copy of a dataset, for pipelines that want fixed
 * augmented images (training normally augments per batch with src/data/augment.ts instead).
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { defineNode } from '../../src/exec/node-contract.js';
import { augmentEach, augmentSpecSchema } from '../../src/data/augment.js';
import { readDataset, writeDataset } from '../../src/data/dataset.js';
import { SeededRng } from '../../src/data/rng.js';

const params = z.object({
  augment: augmentSpecSchema.default(augmentSpecSchema.parse({})),
  /** Augmented copies of every image. */
  copies: z.number().int().min(1).default(1),
  /** Keep the original images in front of the copies. */
  keepOriginal: z.boolean().default(true),
  seed: z.number().int().default(0),
  /** Images per tf.image.transform call; memory only, the result does not depend on it. */
  batchSize: z.number().int().positive().default(512),
});

export default defineNode({
  name: 'data/augment',
  version: 1,
  description: 'Materialised augmented copies (rotation, shift, shear, zoom, flip) of a dataset',
  params,
  inputs: { dataset: { kind: 'dataset', description: 'images to augment' } },
  outputs: { dataset: { kind: 'dataset', description: 'originals (if kept) followed by the augmented copies' } },
  volatileParams: ['batchSize'],
  resources: { cpu: 1, gpu: 0 },
  async run(ctx) {
    const p = ctx.params;
    const ds = readDataset(ctx.input('dataset').path);
    const px = ds.height * ds.width;
    const blocks = (p.keepOriginal ? 1 : 0) + p.copies;
    const images = new Uint8Array(blocks * ds.count * px);
    const labels = new Int32Array(blocks * ds.count);
    let block = 0;
    if (p.keepOriginal) {
      images.set(ds.images);
      labels.set(ds.labels);
      block = 1;
    }
    // One RNG stream per copy and batch, so the batch size never changes which image gets which draw.
    const rng = new SeededRng(p.seed);
    const total = p.copies * Math.ceil(ds.count / p.batchSize);
    let step = 0;
    for (let copy = 0; copy < p.copies; copy++, block++) {
      const copyRng = rng.fork(`copy:${copy}`);
      for (let start = 0; start < ds.count; start += p.batchSize) {
        if (ctx.signal.aborted) throw ctx.signal.reason;
        const end = Math.min(ds.count, start + p.batchSize);
        const batch = tf.tidy(() =>
          tf.tensor4d(Float32Array.from(ds.images.subarray(start * px, end * px)), [end - start, ds.height, ds.width, 1]),
        );
        const imageRngs = Array.from({ length: end - start }, (_, i) => copyRng.fork(start + i));
        const out = augmentEach(batch, p.augment, imageRngs);
        const values = out.dataSync();
        const offset = (block * ds.count + start) * px;
        for (let i = 0; i < values.length; i++) images[offset + i] = Math.min(255, Math.max(0, Math.round(values[i]!)));
        labels.set(ds.labels.subarray(start, end), block * ds.count + start);
        batch.dispose();
        out.dispose();
        ctx.progress({ step: ++step, total, unit: 'batch' });
      }
    }
    ctx.provenance({ tfBackend: tf.getBackend() });
    writeDataset(ctx.outputDir('dataset'), {
      images,
      count: labels.length,
      height: ds.height,
      width: ds.width,
      labels,
      classes: ds.classes,
      meta: { ...ds.meta, source: ds.meta.source ?? 'unknown', split: `${ds.meta.split ?? 'train'}+augmented`, augment: p.augment, copies: p.copies, keepOriginal: p.keepOriginal, seed: p.seed },
    });
    ctx.metrics({ rows: labels.length });
  },
});
