/**
 * What a model is: the architecture and its regularisation knobs (`architectureSchema`, what a
 * pipeline author writes) plus the data-dependent input shape and class count (`modelSpecSchema`,
 * what `buildModel` needs). Defaults live in the schema so the resolved spec enters a stage key.
 */
import { z } from 'zod';

export const ARCHITECTURES = ['cnn', 'resnet', 'mobilenetv2'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

const rate = z.number().min(0).lt(1);

export const architectureSchema = z
  .object({
    arch: z.enum(ARCHITECTURES),
    /** Channel multiplier on the architecture's base widths (1 = the documented layout). */
    width: z.number().positive().default(1),
    /**
     * cnn: number of conv blocks (default 3); resnet: residual blocks per stage (default 2);
     * mobilenetv2: ignored (the layout is fixed; use width/expansion).
     */
    depth: z.int().positive().optional(),
    /** MobileNetV2 expansion factor t of the inverted residual blocks. */
    expansion: z.number().positive().default(6),
    /** Dropout before the classifier. */
    dropout: rate.default(0),
    /** SpatialDropout2D after each conv block / stage. */
    spatialDropout: rate.default(0),
    /** Stochastic depth: drop rate of the last residual block, linearly increasing from 0 (resnet, mobilenetv2). */
    stochasticDepth: rate.default(0),
    /** L2 penalty on conv and dense kernels, added to the loss (Keras convention: l2 * sum(w^2)). */
    l2: z.number().min(0).default(0),
    /** Batch-norm moving-average momentum; lower it for very short runs (see initialStatisticsShare). */
    bnMomentum: z.number().gt(0).lt(1).default(0.99),
  })
  .strict();

export const modelSpecSchema = architectureSchema
  .extend({
    /** [height, width, channels] of one image. */
    inputShape: z.tuple([z.int().positive(), z.int().positive(), z.int().positive()]),
    numClasses: z.int().min(2),
  })
  .strict();

/** A spec as written (defaults optional). */
export type ModelSpecInput = z.input<typeof modelSpecSchema>;
/** A spec after defaults. */
export type ModelSpec = z.output<typeof modelSpecSchema>;
export type ArchitectureSpec = z.output<typeof architectureSchema>;

/**
 * Share of the initial values (mean 0, variance 1) still inside the batch-norm moving statistics
 * after `steps` updates at `momentum`. Depthwise layers can have variances near 0.002, so even 1%
 * of the initial variance makes inference normalise by the wrong scale and collapse toward chance
 * while training accuracy looks fine.
 */
export function initialStatisticsShare(momentum: number, steps: number): number {
  return momentum ** steps;
}
