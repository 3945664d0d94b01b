/**
 * The benchmark workload, identical for every backend and for the PyTorch twin (torch_bench.py):
 * batches of 128 random 28×28×1 images with labels in 100 classes, softmax cross-entropy, Adam
 * (lr 1e-3), the networks built by src/ml/models with their documented defaults.
 */
import * as tf from '@tensorflow/tfjs';
import { buildModel, type ModelSpecInput } from '../../src/ml/models/index.js';

export const BATCH = 128;
export const CLASSES = 100;
export const INPUT: [number, number, number] = [28, 28, 1];

export const NETWORKS = {
  mobile2: { arch: 'mobilenetv2' },
  resnet: { arch: 'resnet' },
  cnn: { arch: 'cnn' },
} as const satisfies Record<string, Pick<ModelSpecInput, 'arch'>>;
export type NetworkName = keyof typeof NETWORKS;

export interface Trainer {
  params: number;
  /** One optimiser step on a fresh batch; resolves when the loss is on the host. */
  step(): number;
  dispose(): void;
}

export function makeTrainer(network: NetworkName, seed = 1, batch = BATCH): Trainer {
  const model = buildModel({ ...NETWORKS[network], inputShape: INPUT, numClasses: CLASSES }, { seed });
  const optimizer = tf.train.adam(1e-3);
  const images = tf.randomUniform([batch, ...INPUT], 0, 1, 'float32', seed);
  const labels = tf.oneHot(tf.randomUniform([batch], 0, CLASSES, 'int32', seed + 1) as tf.Tensor1D, CLASSES);
  const params = model.trainableWeights.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
  return {
    params,
    step() {
      const loss = optimizer.minimize(
        () => tf.losses.softmaxCrossEntropy(labels, model.apply(images, { training: true }) as tf.Tensor) as tf.Scalar,
        true,
      )!;
      const value = loss.dataSync()[0]!;
      loss.dispose();
      return value;
    },
    dispose() {
      model.dispose();
      optimizer.dispose();
      tf.dispose([images, labels]);
    },
  };
}
