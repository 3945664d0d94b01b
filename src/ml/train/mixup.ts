/**
 * Mixup (Zhang et al. 2018) at batch level: each batch is blended with a shuffled copy of itself,
 * images and targets alike, with λ ~ Beta(α, α). It lives in the training loop rather than with the
 * augmentations because it changes the targets.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { Rng } from '../rng.js';

export const mixupSchema = z
  .object({
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
