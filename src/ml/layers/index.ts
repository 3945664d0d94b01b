/** Custom layers; importing this module registers them for model (de)serialisation. */
export { SeededDropout, SpatialDropout2D, StochasticDepth } from './stochastic.js';
export { setLayerNoise, nextNoiseSeed } from './noise.js';
export { DepthwiseConv2D } from './depthwise.js';
export { BatchNormalization } from './batch-norm.js';
export { ReLU } from './relu.js';
export { Conv2D } from './conv2d.js';
