/**
 * Stochastic regularisation layers. Each is identity at inference and draws a fresh, seeded mask per
 * training call (see noise.ts). All are registered with tf.serialization so a saved model reloads.
 */
import * as tf from '@tensorflow/tfjs';
import { nextNoiseSeed } from './noise.js';

type LayerArgs = ConstructorParameters<typeof tf.layers.Layer>[0];

interface RateArgs extends NonNullable<LayerArgs> {
  rate: number;
}

function checkRate(layer: string, rate: number): number {
  if (!(rate >= 0 && rate < 1)) throw new Error(`${layer}: rate must be in [0, 1), got ${rate}`);
  return rate;
}

function single(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0]! : inputs;
}

abstract class RateLayer extends tf.layers.Layer {
  readonly rate: number;

  constructor(args: RateArgs) {
    super(args);
    this.rate = checkRate(this.getClassName(), args.rate);
    this.supportsMasking = true;
  }

  /** The dropout noise shape for input `x`: dims set to 1 share one mask value. */
  protected abstract noiseShape(x: tf.Tensor): number[];

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs);
      if (kwargs['training'] !== true || this.rate === 0) return x.clone();
      return tf.dropout(x, this.rate, this.noiseShape(x), nextNoiseSeed());
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate };
  }
}

/** Element-wise dropout whose mask changes every batch yet is fixed by the run's seed. */
export class SeededDropout extends RateLayer {
  static className = 'SeededDropout';
  protected noiseShape(x: tf.Tensor): number[] {
    return x.shape;
  }
}

/**
 * Drops whole feature maps (channels) of an NHWC tensor, as Keras's SpatialDropout2D: neighbouring
 * pixels are strongly correlated, so element-wise dropout on conv features barely regularises.
 */
export class SpatialDropout2D extends RateLayer {
  static className = 'SpatialDropout2D';
  protected noiseShape(x: tf.Tensor): number[] {
    if (x.rank !== 4) throw new Error(`SpatialDropout2D expects NHWC input, got rank ${x.rank}`);
    return [x.shape[0]!, 1, 1, x.shape[3]!];
  }
}

/**
 * Stochastic depth ("drop path", Huang et al. 2016) for the residual branch of a block: during
 * training each sample's branch is dropped with probability `rate` (and kept ones scaled by
 * 1/(1-rate)), so the block reduces to its shortcut for that sample. Apply it to the branch output
 * before the Add with the shortcut.
 */
export class StochasticDepth extends RateLayer {
  static className = 'StochasticDepth';
  protected noiseShape(x: tf.Tensor): number[] {
    return [x.shape[0]!, ...x.shape.slice(1).map(() => 1)];
  }
}

tf.serialization.registerClass(SeededDropout);
tf.serialization.registerClass(SpatialDropout2D);
tf.serialization.registerClass(StochasticDepth);
