/**
 * TensorFlow.js's ReLU layer with `maxValue: 6` computed by the Relu6 kernel: one pass forward and
 * one masking pass backward instead of a ReLU followed by a clip (two of each). relu6(x) equals
 * clip(relu(x), 0, 6) for every x, and both gradients pass dy exactly where 0 < x ≤ 6. Other
 * maxValues run the inherited code. Registered under the standard class name, so model.json is
 * unchanged and models load anywhere.
 */
import * as tf from '@tensorflow/tfjs';

type ReLUArgs = Parameters<typeof tf.layers.reLU>[0];
type ReLULayer = ReturnType<typeof tf.layers.reLU>;

// The class itself is not exported by @tensorflow/tfjs; take it from an (unbuilt, weightless) instance.
const TfReLU = tf.layers.reLU({}).constructor as new (args?: ReLUArgs) => ReLULayer;

export class ReLU extends TfReLU {
  static className = 'ReLU';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    if ((this as unknown as { maxValue?: number }).maxValue !== 6 || input === undefined) return super.call(inputs, kwargs);
    return tf.relu6(input);
  }
}

tf.serialization.SerializationMap.register(ReLU as unknown as tf.serialization.SerializableConstructor<tf.layers.Layer>);
