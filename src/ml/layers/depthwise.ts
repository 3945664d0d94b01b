/**
 * TensorFlow.js's DepthwiseConv2D with its serialisation fixed.
 *
 * tfjs-layers 4.22 writes `depthwiseConstraint` from the layer's *regularizer*
 * (convolutional_depthwise.js, getConfig), so a depthwise layer with an L2 penalty reloads with the
 * L2 regulariser as a weight constraint and fails ("shape of the new value () and previous value
 * (3,3,C,1) must match"). This subclass writes the real constraint. It is registered under the
 * standard class name, so model.json stays the ordinary Keras/tfjs `DepthwiseConv2D` and loads
 * anywhere, and loading through this process uses the fixed class.
 */
import * as tf from '@tensorflow/tfjs';

type DepthwiseArgs = Parameters<typeof tf.layers.depthwiseConv2d>[0];
type DepthwiseLayer = ReturnType<typeof tf.layers.depthwiseConv2d>;
/** The field is private in the typings. */
interface WithConstraint {
  depthwiseConstraint?: { getClassName(): string; getConfig(): tf.serialization.ConfigDict } | null;
}

// The class itself is not exported by @tensorflow/tfjs; take it from an (unbuilt, weightless) instance.
const TfDepthwiseConv2D = tf.layers.depthwiseConv2d({ kernelSize: 1 }).constructor as new (args: DepthwiseArgs) => DepthwiseLayer;

export class DepthwiseConv2D extends TfDepthwiseConv2D {
  static className = 'DepthwiseConv2D';

  override getConfig(): tf.serialization.ConfigDict {
    const config = super.getConfig();
    const c = (this as unknown as WithConstraint).depthwiseConstraint;
    config['depthwiseConstraint'] = c ? { className: c.getClassName(), config: c.getConfig() } : null;
    return config;
  }
}

tf.serialization.SerializationMap.register(DepthwiseConv2D as unknown as tf.serialization.SerializableConstructor<tf.layers.Layer>);
