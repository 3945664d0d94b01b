/**
 * TensorFlow.js's Conv2D, computing a convolution without bias or activation with the plain conv2d
 * op. tfjs-layers always calls `fused.conv2d`, whose custom gradient computes the input gradient
 * even when nothing needs it: for a network's first convolution (the input is data, not a
 * variable) that is a whole wasted backward convolution per step. The plain op's registered
 * gradient is only evaluated for inputs that lead to variables. Same values; registered under the
 * standard class name, so model.json is unchanged and models load anywhere.
 */
import * as tf from '@tensorflow/tfjs';

type Conv2DArgs = Parameters<typeof tf.layers.conv2d>[0];
type Conv2DLayer = ReturnType<typeof tf.layers.conv2d>;

/** Fields that are private in the typings. */
interface Internals {
  bias: unknown;
  kernel: { read(): tf.Tensor4D };
  activation: { getClassName(): string };
  dataFormat: string;
  strides: [number, number];
  padding: string;
  dilationRate: [number, number];
}

// The class itself is not exported by @tensorflow/tfjs; take it from an (unbuilt, weightless) instance.
const TfConv2D = tf.layers.conv2d({ filters: 1, kernelSize: 1 }).constructor as new (args: Conv2DArgs) => Conv2DLayer;

export class Conv2D extends TfConv2D {
  static className = 'Conv2D';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    const self = this as unknown as Internals;
    const plain = input !== undefined && input.rank === 4 && self.bias == null && self.dataFormat === 'channelsLast' &&
      self.activation.getClassName() === 'linear' && (self.padding === 'same' || self.padding === 'valid');
    if (!plain) return super.call(inputs, kwargs);
    return tf.conv2d(input as tf.Tensor4D, self.kernel.read(), self.strides, self.padding as 'same' | 'valid', 'NHWC', self.dilationRate);
  }
}

tf.serialization.SerializationMap.register(Conv2D as unknown as tf.serialization.SerializableConstructor<tf.layers.Layer>);
