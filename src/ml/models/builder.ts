/**
 * Layer factory shared by the architectures: every layer gets an explicit name (stable, readable
 * model.json), a seeded initialiser drawn from one Rng (so one seed fixes initialisation), and the
 * spec's L2 penalty on its kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../rng.js';
import { BatchNormalization, Conv2D, DepthwiseConv2D, ReLU, SeededDropout, SpatialDropout2D, StochasticDepth } from '../layers/index.js';
import type { ModelSpec } from './spec.js';

export type Sym = tf.SymbolicTensor;

export class LayerFactory {
  constructor(
    private readonly spec: ModelSpec,
    private readonly rng: Rng,
  ) {}

  private regularizer() {
    return this.spec.l2 > 0 ? tf.regularizers.l2({ l2: this.spec.l2 }) : undefined;
  }

  conv(x: Sym, name: string, filters: number, kernelSize: number, strides = 1): Sym {
    return new Conv2D({
        name,
        filters,
        kernelSize,
        strides,
        padding: 'same',
        useBias: false,
        kernelInitializer: tf.initializers.heNormal({ seed: this.rng.tfSeed() }),
        kernelRegularizer: this.regularizer(),
      }).apply(x) as Sym;
  }

  depthwise(x: Sym, name: string, kernelSize: number, strides = 1): Sym {
    return new DepthwiseConv2D({
        name,
        kernelSize,
        strides,
        padding: 'same',
        useBias: false,
        depthwiseInitializer: tf.initializers.heNormal({ seed: this.rng.tfSeed() }),
        depthwiseRegularizer: this.regularizer(),
      }).apply(x) as Sym;
  }

  bn(x: Sym, name: string): Sym {
    return new BatchNormalization({ name, momentum: this.spec.bnMomentum, epsilon: 1e-3 }).apply(x) as Sym;
  }

  relu(x: Sym, name: string, maxValue?: number): Sym {
    return new ReLU({ name, maxValue }).apply(x) as Sym;
  }

  /** conv → batch norm → ReLU (ReLU6 when `relu6`). */
  convBnRelu(x: Sym, name: string, filters: number, kernelSize: number, strides = 1, relu6 = false): Sym {
    const y = this.bn(this.conv(x, `${name}_conv`, filters, kernelSize, strides), `${name}_bn`);
    return this.relu(y, `${name}_relu`, relu6 ? 6 : undefined);
  }

  spatialDropout(x: Sym, name: string): Sym {
    const rate = this.spec.spatialDropout;
    return rate > 0 ? (new SpatialDropout2D({ name, rate }).apply(x) as Sym) : x;
  }

  /** Drop-path on a residual branch; `rate` is this block's share of the spec's stochasticDepth. */
  stochasticDepth(x: Sym, name: string, rate: number): Sym {
    return rate > 0 ? (new StochasticDepth({ name, rate }).apply(x) as Sym) : x;
  }

  add(a: Sym, b: Sym, name: string): Sym {
    return tf.layers.add({ name }).apply([a, b]) as Sym;
  }

  /** Global average pool → dropout → linear classifier. The model outputs logits (no softmax). */
  head(x: Sym): Sym {
    let y = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as Sym;
    if (this.spec.dropout > 0) y = new SeededDropout({ name: 'dropout', rate: this.spec.dropout }).apply(y) as Sym;
    return tf.layers
      .dense({
        name: 'logits',
        units: this.spec.numClasses,
        kernelInitializer: tf.initializers.glorotUniform({ seed: this.rng.tfSeed() }),
        kernelRegularizer: this.regularizer(),
      })
      .apply(y) as Sym;
  }
}

/** Rounds a scaled channel count to a multiple of 8, never dropping more than 10% (as MobileNet does). */
export function roundChannels(channels: number, divisor = 8): number {
  const rounded = Math.max(divisor, Math.floor((channels + divisor / 2) / divisor) * divisor);
  return rounded < 0.9 * channels ? rounded + divisor : rounded;
}
