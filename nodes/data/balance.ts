/**
 * data/balance: a sampling/weighting plan for a long-tailed dataset (indices.npy and/or
 * weights.npy + meta.json). The training loop reads the plan; images are copied only when
 * `materialize: true`, in which case the plan directory is also a dataset.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { defineNode, NodeUserError } from '../../src/exec/node-contract.js';
import { classWeights, oversample, progressiveSchedule, rowsByClass, undersample } from '../../src/data/balance.js';
import { countsPerClass, readDataset, writeDataset } from '../../src/data/dataset.js';
import { writeNpy } from '../../src/data/npy.js';
import { SeededRng } from '../../src/data/rng.js';
import { writeFileSync } from 'node:fs';

const target = z.union([z.number().int().positive(), z.enum(['max', 'min', 'mean'])]);

const params = z.object({
  strategy: z.discriminatedUnion('type', [
    /** Repeat rows of small classes until each has `perClass` (default: as many as the largest). */
    z.object({ type: z.literal('oversample'), perClass: target.default('max') }),
    /** Keep at most `perClass` random rows per class (default: as many as the smallest). */
    z.object({ type: z.literal('undersample'), perClass: target.default('min') }),
    /** Per-row loss weights: 1/n or 1/effective number of samples. */
    z.object({ type: z.literal('weights'), method: z.enum(['inverse', 'effective']).default('effective'), beta: z.number().min(0).lt(1).default(0.999) }),
    /** One row of indices per epoch, from instance-balanced to class-balanced. */
    z.object({ type: z.literal('progressive'), epochs: z.number().int().positive(), perEpoch: z.number().int().positive().optional() }),
  ]),
  /** Also write the resampled images (oversample/undersample only). */
  materialize: z.boolean().default(false),
  seed: z.number().int().default(0),
});

export default defineNode({
  name: 'data/balance',
  version: 1,
  description: 'Balancing plan for a long-tailed dataset: over/undersampling indices, class weights or a progressively balanced schedule',
  params,
  inputs: { dataset: { kind: 'dataset', description: 'the (long-tailed) training set' } },
  outputs: { plan: { kind: ['plan', 'dataset'], description: 'indices.npy and/or weights.npy + meta.json; also a dataset when materialize: true' } },
  resources: { cpu: 1, gpu: 0 },
  async run(ctx) {
    const { strategy, materialize, seed } = ctx.params;
    const inputDir = ctx.input('dataset').path;
    const ds = readDataset(inputDir);
    const byClass = rowsByClass(ds.labels, ds.classes.length);
    const counts = byClass.map((r) => r.length);
    const nonEmpty = counts.filter((n) => n > 0);
    if (nonEmpty.length === 0) throw new NodeUserError(`${inputDir}: dataset has no labeled rows to balance`);
    const resolve = (t: number | 'max' | 'min' | 'mean') =>
      t === 'max' ? Math.max(...nonEmpty) : t === 'min' ? Math.min(...nonEmpty) : t === 'mean' ? Math.round(nonEmpty.reduce((a, b) => a + b, 0) / nonEmpty.length) : t;
    const rng = new SeededRng(seed);
    const out = ctx.outputDir('plan');
    const meta: Record<string, unknown> = { strategy, seed, inputRows: ds.count, inputCountsPerClass: countsPerClass(ds.labels, ds.classes) };
    let indices: Int32Array | undefined;

    switch (strategy.type) {
      case 'oversample':
      case 'undersample': {
        const perClass = resolve(strategy.perClass);
        indices = strategy.type === 'oversample' ? oversample(byClass, perClass, rng) : undersample(byClass, perClass, rng);
        writeNpy(join(out, 'indices.npy'), { dtype: 'int32', shape: [indices.length], data: indices });
        meta.perClass = perClass;
        meta.rows = indices.length;
        meta.countsPerClass = countsPerClass(Int32Array.from(indices, (i) => ds.labels[i]!), ds.classes);
        break;
      }
      case 'weights': {
        const perClassWeight = classWeights(counts, strategy.method, strategy.beta);
        const weights = Float32Array.from(ds.labels, (l) => (l >= 0 ? perClassWeight[l]! : 0));
        writeNpy(join(out, 'weights.npy'), { dtype: 'float32', shape: [weights.length], data: weights });
        meta.classWeights = Object.fromEntries(ds.classes.map((c, i) => [c, perClassWeight[i]!]));
        break;
      }
      case 'progressive': {
        const perEpoch = strategy.perEpoch ?? nonEmpty.reduce((a, b) => a + b, 0);
        const schedule = progressiveSchedule(byClass, strategy.epochs, perEpoch, rng);
        writeNpy(join(out, 'indices.npy'), { dtype: 'int32', shape: [strategy.epochs, perEpoch], data: schedule });
        meta.perEpoch = perEpoch;
        meta.epochs = strategy.epochs;
        break;
      }
    }
    if (materialize) {
      if (!indices) throw new NodeUserError(`materialize: true needs strategy oversample or undersample, not ${strategy.type}`);
      const px = ds.height * ds.width;
      const images = new Uint8Array(indices.length * px);
      indices.forEach((row, k) => images.set(ds.images.subarray(row * px, (row + 1) * px), k * px));
      writeDataset(out, {
        images,
        count: indices.length,
        height: ds.height,
        width: ds.width,
        labels: Int32Array.from(indices, (i) => ds.labels[i]!),
        classes: ds.classes,
        meta: { ...ds.meta, ...meta, source: ds.meta.source ?? 'unknown', split: `${ds.meta.split ?? 'train'}+balanced` },
      });
      ctx.metrics({ rows: indices.length });
      return;
    }
    writeFileSync(join(out, 'meta.json'), JSON.stringify({ kind: 'plan', classes: ds.classes, ...meta }, null, 2) + '\n');
    ctx.metrics({ rows: indices?.length ?? ds.count });
  },
});
