/**
 * The benchmark workload, identical for every backend and for the PyTorch twin (torch_bench.py):
 * batches of 128 random 28×28×1 images with labels in 100 classes, softmax cross-entropy, Adam
 * (lr 1e-3; the project's own optimiser, src/ml/optimizers.ts, as the training nodes use it), the
 * networks built by src/ml/models with their documented defaults.
 */
import * as tf from '@tensorflow/tfjs';
import { buildModel, type ModelSpecInput } from '../../src/ml/models/index.js';
import { ParamOptimizer } from '../../src/ml/optimizers.js';

export const BATCH = 128;
export const LR = 1e-3;
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
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = new ParamOptimizer({ kind: 'adam', lr: LR }, variables.map((variable) => ({ variable, decay: false })));
  const images = tf.randomUniform([batch, ...INPUT], 0, 1, 'float32', seed);
  const labels = tf.oneHot(tf.randomUniform([batch], 0, CLASSES, 'int32', seed + 1) as tf.Tensor1D, CLASSES);
  const params = variables.reduce((n, v) => n + v.size, 0);
  return {
    params,
    step() {
      return tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => tf.losses.softmaxCrossEntropy(labels, model.apply(images, { training: true }) as tf.Tensor) as tf.Scalar,
          variables,
        );
        optimizer.apply(variables.map((v) => grads[v.name]!), LR);
        return value.dataSync()[0]!;
      });
    },
    dispose() {
      model.dispose();
      optimizer.dispose();
      tf.dispose([images, labels]);
    },
  };
}
