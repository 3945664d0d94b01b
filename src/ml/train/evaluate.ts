/** Inference over an image set in batches: logits, and loss/accuracy against labels. */
import * as tf from '@tensorflow/tfjs';
import { gatherImages, gatherTargets, type ImageSet } from './data.js';
import { softCrossEntropy } from '../losses.js';

function imageCount(set: ImageSet): number {
  const [h, w, c] = set.imageShape;
  return set.images.length / (h * w * c);
}

function batchRows(start: number, end: number): Int32Array {
  return Int32Array.from({ length: end - start }, (_, i) => start + i);
}

/** Logits of every image, [N, C] row-major, computed in inference mode. */
export function predictLogits(model: tf.LayersModel, set: Pick<ImageSet, 'images' | 'imageShape'>, batchSize = 256): Float32Array {
  const n = imageCount(set as ImageSet);
  const numClasses = model.outputs[0]!.shape[1]!;
  const out = new Float32Array(n * numClasses);
  for (let start = 0; start < n; start += batchSize) {
    const rows = batchRows(start, Math.min(n, start + batchSize));
    const values = tf.tidy(() => {
      const x = tf.tensor4d(gatherImages(set as ImageSet, rows), [rows.length, ...set.imageShape]);
      return (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
    });
    out.set(values, start * numClasses);
  }
  return out;
}

/** Mean plain cross-entropy and accuracy of the model on a labelled set (targets if no labels). */
export function evaluate(model: tf.LayersModel, labelled: ImageSet, batchSize = 256): { loss: number; accuracy: number } {
  // Labels are the truth when a set has both; soft targets only score sets without labels.
  const set: ImageSet = labelled.labels ? { ...labelled, targets: undefined } : labelled;
  const n = imageCount(set);
  const numClasses = model.outputs[0]!.shape[1]!;
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < n; start += batchSize) {
    const rows = batchRows(start, Math.min(n, start + batchSize));
    const [l, c] = tf.tidy(() => {
      const x = tf.tensor4d(gatherImages(set, rows), [rows.length, ...set.imageShape]);
      const t = tf.tensor2d(gatherTargets(set, rows, numClasses), [rows.length, numClasses]);
      const logits = model.predict(x) as tf.Tensor2D;
      const hits = tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), tf.argMax(t, -1)), 'float32'));
      return tf.stack([tf.sum(softCrossEntropy(logits, t)), hits]).dataSync();
    });
    lossSum += l!;
    correct += c!;
  }
  return { loss: lossSum / n, accuracy: correct / n };
}
