/**
 * TensorFlow.js's BatchNormalization, training on the wasm backend through the fused kernels of
 * src/ml/wasm-kernels/batch-norm-training.ts instead of `tf.moments` + `tf.batchNorm`. Same
 * weights, config, statistics and moving-average updates; inference and every other backend run
 * the inherited code. Registered under the standard class name, so model.json is unchanged and
 * models load anywhere.
 */
import * as tf from '@tensorflow/tfjs';
import { BATCH_NORM_TRAINING, batchNormTraining } from '../wasm-kernels/batch-norm-training.js';

type BatchNormArgs = Parameters<typeof tf.layers.batchNormalization>[0];
type BatchNormLayer = ReturnType<typeof tf.layers.batchNormalization>;
type Kwargs = Record<string, unknown>;

/** Fields that are private in the typings. */
interface Internals {
  axis: number;
  momentum: number;
  epsilon: number;
  gamma?: { read(): tf.Tensor };
  beta?: { read(): tf.Tensor };
  movingMean: { read(): tf.Tensor; write(value: tf.Tensor): void };
  movingVariance: { read(): tf.Tensor; write(value: tf.Tensor): void };
}

// The class itself is not exported by @tensorflow/tfjs; take it from an (unbuilt, weightless) instance.
const TfBatchNormalization = tf.layers.batchNormalization({}).constructor as new (args?: BatchNormArgs) => BatchNormLayer;

export class BatchNormalization extends TfBatchNormalization {
  static className = 'BatchNormalization';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    const self = this as unknown as Internals;
    const fused = kwargs['training'] === true && input !== undefined && input.dtype === 'float32' && input.rank >= 2 &&
      (self.axis === -1 || self.axis === input.rank - 1) && self.gamma && self.beta &&
      tf.getBackend() === 'wasm' && tf.getKernel(BATCH_NORM_TRAINING, 'wasm') !== undefined;
    if (!fused) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const [y, mean, variance] = batchNormTraining(input, self.gamma!.read(), self.beta!.read(), self.epsilon);
      // The inherited layer's moving-average update, op for op.
      for (const [variable, value] of [[self.movingMean, mean], [self.movingVariance, variance]] as const) {
        tf.tidy(() => {
          const orig = variable.read();
          variable.write(tf.sub(orig, tf.mul(tf.sub(orig, value), 1 - self.momentum)));
        });
      }
      return y;
    });
  }
}

tf.serialization.SerializationMap.register(BatchNormalization as unknown as tf.serialization.SerializableConstructor<tf.layers.Layer>);
