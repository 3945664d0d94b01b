/**
 * Classification losses on logits against (possibly soft) target distributions.
 *
 * Targets are always rows of a [B, C] matrix: one-hot labels, label-smoothed rows, mixup blends,
 * a teacher's probabilities (distillation) or pseudo-labels all go through the same path.
 *
 * - `cross-entropy`: -Σ t·log softmax(z).
 * - `balanced-softmax` (Ren et al. 2020): cross-entropy of softmax(z + log π), π the training class
 *   prior; the model learns balanced logits and predicts with plain softmax(z).
 * - `logit-adjusted` (Menon et al. 2021): the same with z + τ·log π.
 * Class weights scale each sample's loss by Σ_c t_c·w_c; sample weights multiply on top; the batch
 * loss is the mean over the batch of the weighted per-sample losses (Keras convention).
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { NodeUserError } from '../exec/node-contract.js';

export const lossSpecSchema = z
  .object({
    kind: z.enum(['cross-entropy', 'balanced-softmax', 'logit-adjusted']).default('cross-entropy'),
    /** Mix ε of the uniform distribution into every target row. */
    labelSmoothing: z.number().min(0).lt(1).default(0),
    /** Per-class loss weights, or `balanced` for N / (C · count_c) from the training targets. */
    classWeights: z.union([z.literal('balanced'), z.array(z.number().min(0))]).optional(),
    /** Strength of the logit adjustment (`logit-adjusted` only; balanced-softmax is τ = 1). */
    tau: z.number().min(0).default(1),
  })
  .strict();
export type LossSpec = z.output<typeof lossSpecSchema>;
export type LossSpecInput = z.input<typeof lossSpecSchema>;

/** Computes one scalar training loss for a batch. */
export type BatchLoss = (logits: tf.Tensor2D, targets: tf.Tensor2D, sampleWeights?: tf.Tensor1D) => tf.Scalar;

/** Per-sample soft-target cross-entropy, [B]. */
export function softCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.neg(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), -1)) as tf.Tensor1D);
}

/** Class frequencies (summing to 1) of a set of target rows; classes never seen get a tiny floor. */
export function classPriors(classMass: ArrayLike<number>): Float32Array {
  const total = Array.from(classMass).reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new NodeUserError('cannot compute class priors: the training targets are empty');
  // A class absent from training would get log 0 = -inf; a floor keeps the loss finite.
  const floor = 1e-8;
  return Float32Array.from(classMass, (m) => Math.max(m / total, floor));
}

/** N / (C · count_c); classes with no samples get weight 0. */
export function balancedClassWeights(classMass: ArrayLike<number>): Float32Array {
  const counts = Array.from(classMass);
  const total = counts.reduce((a, b) => a + b, 0);
  return Float32Array.from(counts, (m) => (m > 0 ? total / (counts.length * m) : 0));
}

/**
 * Builds the training loss. `classMass` is the total target mass per class over the training set as
 * one epoch sees it (counts for hard labels); it supplies priors and balanced weights.
 */
export function makeLoss(specInput: LossSpecInput, numClasses: number, classMass?: ArrayLike<number>): BatchLoss {
  const spec = lossSpecSchema.parse(specInput);
  const needMass = spec.kind !== 'cross-entropy' || spec.classWeights === 'balanced';
  if (needMass && !classMass) throw new Error(`loss ${spec.kind} needs the training class counts`);
  let classWeights: Float32Array | undefined;
  if (spec.classWeights === 'balanced') classWeights = balancedClassWeights(classMass!);
  else if (spec.classWeights) {
    if (spec.classWeights.length !== numClasses) {
      throw new NodeUserError(`loss.classWeights has ${spec.classWeights.length} entries for ${numClasses} classes`);
    }
    classWeights = Float32Array.from(spec.classWeights);
  }
  const tau = spec.kind === 'balanced-softmax' ? 1 : spec.kind === 'logit-adjusted' ? spec.tau : 0;
  const logPrior = tau !== 0 ? Float32Array.from(classPriors(classMass!), (p) => tau * Math.log(p)) : undefined;
  const eps = spec.labelSmoothing;

  return (logits, targets, sampleWeights) =>
    tf.tidy(() => {
      const adjusted = logPrior ? tf.add(logits, tf.tensor1d(logPrior)) : logits;
      const smoothed = eps > 0 ? tf.add(tf.mul(targets, 1 - eps), eps / numClasses) : targets;
      let perSample: tf.Tensor1D = softCrossEntropy(adjusted as tf.Tensor2D, smoothed as tf.Tensor2D);
      if (classWeights) {
        const w = tf.squeeze(tf.matMul(targets, tf.tensor2d(classWeights, [numClasses, 1])), [1]);
        perSample = tf.mul(perSample, w);
      }
      if (sampleWeights) perSample = tf.mul(perSample, sampleWeights);
      return tf.mean(perSample) as tf.Scalar;
    });
}
