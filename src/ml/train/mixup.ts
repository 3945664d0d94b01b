/**
 * Mixup (Zhang et al. 2018) at batch level: each batch is blended with a shuffled copy of itself,
 * images and targets alike, with λ ~ Beta(α, α). CutMix (Yun et al. 2019) instead pastes a box of
 * ≈ (1−λ) of the area from the partner image, with one λ per image, and mixes targets (and sample
 * weights) by the box's actual area. Both live in the training loop rather than with the
 * augmentations because they change the targets.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { cutmixMask, type CutBox } from '../../data/augment.js';
import type { Rng } from '../rng.js';

export const mixupSchema = z
  .object({
    /** mixup blends whole images; cutmix pastes a box from the partner image. */
    kind: z.enum(['mixup', 'cutmix']).default('mixup'),
    alpha: z.number().positive().default(0.2),
    /** Share of batches that are mixed. */
    prob: z.number().min(0).max(1).default(1),
  })
  .strict();
export type MixupSpec = z.output<typeof mixupSchema>;

export interface Batch {
  x: tf.Tensor4D;
  targets: tf.Tensor2D;
  weights?: tf.Tensor1D;
}

/** Returns the mixed batch (new tensors; the caller's tidy owns them) or the batch itself. */
export function mixBatch(batch: Batch, spec: MixupSpec, rng: Rng): Batch {
  // Draw every random number whether or not the batch is mixed, so the stream's position never
  // depends on the outcome.
  const mix = rng.next() < spec.prob;
  if (spec.kind === 'cutmix') return cutmixBatch(batch, spec, rng, mix);
  const lambda = rng.beta(spec.alpha, spec.alpha);
  const perm = rng.permutation(batch.x.shape[0]);
  if (!mix) return batch;
  const idx = tf.tensor1d(perm, 'int32');
  const blend = <T extends tf.Tensor>(t: T): T => tf.add(tf.mul(t, lambda), tf.mul(tf.gather(t, idx), 1 - lambda)) as T;
  return {
    x: blend(batch.x),
    targets: blend(batch.targets),
    weights: batch.weights ? blend(batch.weights) : undefined,
  };
}

function cutmixBatch(batch: Batch, spec: MixupSpec, rng: Rng, mix: boolean): Batch {
  const [n, h, w] = batch.x.shape;
  const perm = rng.permutation(n);
  const boxes: CutBox[] = [];
  for (let i = 0; i < n; i++) boxes.push({ lambda: rng.beta(spec.alpha, spec.alpha), cx: rng.int(w), cy: rng.int(h) });
  if (!mix) return batch;
  const { mask, lambda } = cutmixMask(h, w, boxes);
  const idx = tf.tensor1d(perm, 'int32');
  const m = tf.tensor4d(mask, [n, h, w, 1]);
  const own = tf.tensor1d(lambda);
  const blendRows = <T extends tf.Tensor>(t: T): T => {
    const lam = t.rank === 1 ? own : tf.reshape(own, [n, 1]);
    return tf.add(tf.mul(t, lam), tf.mul(tf.gather(t, idx), tf.sub(1, lam))) as T;
  };
  return {
    x: tf.add(tf.mul(batch.x, tf.sub(1, m)), tf.mul(tf.gather(batch.x, idx), m)) as tf.Tensor4D,
    targets: blendRows(batch.targets),
    weights: batch.weights ? blendRows(batch.weights) : undefined,
  };
}
