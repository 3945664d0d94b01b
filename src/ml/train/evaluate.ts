/** Inference over an image set in batches: logits, and loss/accuracy against labels. */
import * as tf from '@tensorflow/tfjs';
import { gatherImages, gatherTargets, type ImageSet } from './data.js';

export interface PredictOptions {
  batchSize?: number;
  /**
   * Applied to each batch (images in [0, 1]) before the model, inside a tf.tidy: a test-time
   * augmentation view, e.g. a horizontal flip.
   */
  transform?: (batch: tf.Tensor4D) => tf.Tensor4D;
}

export interface Evaluation {
  /** Mean cross-entropy of softmax(logits) against the labels (soft targets for unlabelled sets). */
  loss: number;
  accuracy: number;
  /** Mean over the classes present of their accuracy; what a long-tailed task cares about. */
  balancedAccuracy: number;
}

/** Logits of every image, [N, C] row-major, computed in inference mode. */
export function predictLogits(model: tf.LayersModel, set: Pick<ImageSet, 'images' | 'imageShape'>, options: PredictOptions = {}): Float32Array {
  const batchSize = options.batchSize ?? 256;
  const [h, w, c] = set.imageShape;
  const n = set.images.length / (h * w * c);
  const numClasses = model.outputs[0]!.shape[1]!;
  const out = new Float32Array(n * numClasses);
  for (let start = 0; start < n; start += batchSize) {
    const rows = Int32Array.from({ length: Math.min(n, start + batchSize) - start }, (_, i) => start + i);
    const values = tf.tidy(() => {
      let x = tf.tensor4d(gatherImages(set as ImageSet, rows), [rows.length, h, w, c]);
      if (options.transform) x = options.transform(x);
      return (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
    });
    out.set(values, start * numClasses);
  }
  return out;
}

/** Scores the model on a set with labels (or, failing those, soft targets). */
export function evaluate(model: tf.LayersModel, set: ImageSet, options: PredictOptions = {}): Evaluation {
  const logits = predictLogits(model, set, options);
  const numClasses = model.outputs[0]!.shape[1]!;
  const n = logits.length / numClasses;
  // Labels are the truth when a set has both; soft targets only score sets without labels.
  const targets = set.labels ? null : gatherTargets(set, Int32Array.from({ length: n }, (_, i) => i), numClasses);
  let lossSum = 0;
  const hits = new Float64Array(numClasses);
  const counts = new Float64Array(numClasses);
  for (let i = 0; i < n; i++) {
    const row = logits.subarray(i * numClasses, (i + 1) * numClasses);
    let max = -Infinity;
    let argmax = 0;
    row.forEach((v, k) => {
      if (v > max) [max, argmax] = [v, k];
    });
    const logSum = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
    let truth: number;
    if (targets) {
      const t = targets.subarray(i * numClasses, (i + 1) * numClasses);
      lossSum -= t.reduce((s, p, k) => s + p * (row[k]! - logSum), 0);
      truth = t.indexOf(Math.max(...t));
    } else {
      truth = set.labels![i]!;
      lossSum -= row[truth]! - logSum;
    }
    counts[truth]!++;
    if (argmax === truth) hits[truth]!++;
  }
  const present = Array.from(counts.keys()).filter((k) => counts[k]! > 0);
  return {
    loss: lossSum / n,
    accuracy: hits.reduce((a, b) => a + b, 0) / n,
    balancedAccuracy: present.reduce((s, k) => s + hits[k]! / counts[k]!, 0) / present.length,
  };
}
