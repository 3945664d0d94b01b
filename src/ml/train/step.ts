/** One optimisation step on one batch: gather, augment, mix, forward, loss, gradients, update. */
import * as tf from '@tensorflow/tfjs';
import type { BatchLoss } from '../losses.js';
import type { ParamOptimizer, TrainableParam } from '../optimizers.js';
import type { Rng } from '../rng.js';
import { gatherImages, gatherTargets, gatherWeights, type TrainingSet } from './data.js';
import type { AugmentFn } from './loop.js';
import { mixBatch, type Batch, type MixupSpec } from './mixup.js';

export interface TrainStepParts {
  model: tf.LayersModel;
  params: TrainableParam[];
  optimizer: ParamOptimizer;
  lossFn: BatchLoss;
  numClasses: number;
  train: TrainingSet;
  augment?: AugmentFn;
  mixup: MixupSpec | null;
  augmentRng: Rng;
  mixupRng: Rng;
}

/** Returns a function that trains on the given rows at learning rate `lr` → [batch loss, correct count]. */
export function makeTrainStep(p: TrainStepParts): (rows: Int32Array, lr: number) => [number, number] {
  const variables = p.params.map((param) => param.variable);
  return (rows, lr) => {
    let hits: tf.Tensor | undefined;
    const stats = tf.tidy(() => {
      let x = tf.tensor4d(gatherImages(p.train, rows), [rows.length, ...p.train.imageShape]);
      if (p.augment) x = p.augment(x, p.augmentRng);
      const w = gatherWeights(p.train, rows);
      let batch: Batch = {
        x,
        targets: tf.tensor2d(gatherTargets(p.train, rows, p.numClasses), [rows.length, p.numClasses]),
        weights: w ? tf.tensor1d(w) : undefined,
      };
      if (p.mixup) batch = mixBatch(batch, p.mixup, p.mixupRng);
      const { value, grads } = tf.variableGrads(() => {
        const logits = p.model.apply(batch.x, { training: true }) as tf.Tensor2D;
        // Kept past the gradient tape's own tidy; disposed below.
        hits = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), tf.argMax(batch.targets, -1)), 'float32')));
        let loss: tf.Scalar = p.lossFn(logits, batch.targets, batch.weights);
        // The models' L2 penalties (kernel regularisers).
        for (const penalty of p.model.calculateLosses()) loss = tf.add(loss, penalty);
        return loss;
      }, variables);
      p.optimizer.apply(variables.map((v) => grads[v.name]!), lr);
      return tf.stack([value, hits!]).dataSync();
    });
    hits?.dispose();
    return [stats[0]!, stats[1]!];
  };
}
