/**
 * Training-mode batch normalisation as two fused kernels. Through `tf.moments` and `tf.batchNorm`
 * a training step makes about twenty passes over each normalised activation (mean, centring,
 * square, mean, normalise; then the gradients of all of those, with their broadcasts); these
 * kernels make five: statistics and normalisation forward, sums and input gradient backward
 * (simd/kernels.c). The BatchNormalization layer (src/ml/layers/batch-norm.ts) calls them on wasm.
 *
 * Forward: x [..., c], scale [c], offset [c] → [y, batch mean, biased batch variance].
 * The mean and variance outputs are statistics for the moving averages: they carry no gradient
 * (in the layer they only feed variable updates, never the loss).
 */
import * as tf from '@tensorflow/tfjs';
import type { GradConfig, KernelConfig, KernelFunc, NamedAttrMap, Tensor, TensorInfo } from '@tensorflow/tfjs';
import { simd, withScratch } from './simd/module.js';
import { address, sizeOf, type WasmBackend } from './wasm-backend.js';

export const BATCH_NORM_TRAINING = 'DagBatchNormTraining';
const BATCH_NORM_TRAINING_GRAD = 'DagBatchNormTrainingGrad';

export interface BatchNormTrainingAttrs {
  varianceEpsilon: number;
}

type Args<I> = { inputs: I; backend: WasmBackend; attrs: BatchNormTrainingAttrs };

function channelsOf(x: TensorInfo, ...params: TensorInfo[]): number {
  const c = x.shape[x.shape.length - 1] ?? 0;
  const ok = x.dtype === 'float32' && x.shape.length >= 2 && sizeOf(x.shape) > 0 &&
    params.every((p) => p.dtype === 'float32' && p.shape.length === 1 && p.shape[0] === c);
  if (!ok) throw new Error(`${BATCH_NORM_TRAINING} needs float32 x [..., c] with c > 0 and [c] parameters`);
  return c;
}

const forward = (args: Args<{ x: TensorInfo; scale: TensorInfo; offset: TensorInfo }>) => {
  const { inputs: { x, scale, offset }, backend, attrs } = args;
  const c = channelsOf(x, scale, offset);
  const y = backend.makeOutput([...x.shape], 'float32');
  const mean = backend.makeOutput([c], 'float32');
  const variance = backend.makeOutput([c], 'float32');
  withScratch(backend, 16 * c + 8 * c, (scratch) => {
    simd(backend).batch_norm_train(
      address(backend, x), sizeOf(x.shape) / c, c, address(backend, scale), address(backend, offset),
      attrs.varianceEpsilon, scratch, scratch + 16 * c, address(backend, mean), address(backend, variance), address(backend, y),
    );
  });
  return [y, mean, variance];
};

const backward = (args: Args<{ dy: TensorInfo; x: TensorInfo; mean: TensorInfo; variance: TensorInfo; scale: TensorInfo }>) => {
  const { inputs: { dy, x, mean, variance, scale }, backend, attrs } = args;
  const c = channelsOf(x, mean, variance, scale);
  const dx = backend.makeOutput([...x.shape], 'float32');
  const dscale = backend.makeOutput([c], 'float32');
  const doffset = backend.makeOutput([c], 'float32');
  withScratch(backend, 16 * c + 12 * c, (scratch) => {
    simd(backend).batch_norm_train_grad(
      address(backend, dy), address(backend, x), sizeOf(x.shape) / c, c, address(backend, mean),
      address(backend, variance), address(backend, scale), attrs.varianceEpsilon, scratch, scratch + 16 * c,
      address(backend, dx), address(backend, dscale), address(backend, doffset),
    );
  });
  return [dx, dscale, doffset];
};

export const batchNormTrainingKernels: KernelConfig[] = [
  { kernelName: BATCH_NORM_TRAINING, backendName: 'wasm', kernelFunc: forward as unknown as KernelFunc },
  { kernelName: BATCH_NORM_TRAINING_GRAD, backendName: 'wasm', kernelFunc: backward as unknown as KernelFunc },
];

export const batchNormTrainingGradient: GradConfig = {
  kernelName: BATCH_NORM_TRAINING,
  inputsToSave: ['x', 'scale'],
  outputsToSave: [false, true, true],
  gradFunc: (dys, saved, attrs) => {
    const dy = (dys as Tensor[])[0]!;
    const [x, scale, mean, variance] = saved as Tensor[];
    const [dx, dscale, doffset] = tf.engine().runKernel(
      BATCH_NORM_TRAINING_GRAD, { dy, x: x!, mean: mean!, variance: variance!, scale: scale! }, attrs as NamedAttrMap,
    ) as Tensor[];
    return { x: () => dx!, scale: () => dscale!, offset: () => doffset! };
  },
};

/** y, batch mean and batch variance of x over every axis but the last (wasm backend only). */
export function batchNormTraining(x: Tensor, scale: Tensor, offset: Tensor, varianceEpsilon: number): [Tensor, Tensor, Tensor] {
  const attrs: BatchNormTrainingAttrs = { varianceEpsilon };
  return tf.engine().runKernel(BATCH_NORM_TRAINING, { x, scale, offset }, attrs as unknown as NamedAttrMap) as [Tensor, Tensor, Tensor];
}
