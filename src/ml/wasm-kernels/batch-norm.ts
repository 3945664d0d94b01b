/**
 * FusedBatchNorm (the normalisation itself; training computes the batch statistics with Mean
 * kernels) for per-channel parameters: folds scale, variance and offset into one multiply-add per
 * element (simd/kernels.c). The backend's kernel evaluates the whole formula per element. Other
 * parameter shapes go to the original kernel.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { simd, withScratch } from './simd/module.js';
import { address, runWasmKernel, sizeOf, type WasmBackend } from './wasm-backend.js';

interface Inputs {
  x: TensorInfo;
  mean: TensorInfo;
  variance: TensorInfo;
  offset?: TensorInfo;
  scale?: TensorInfo;
}

const fusedBatchNorm = (args: { inputs: Inputs; backend: WasmBackend; attrs: { varianceEpsilon: number } }) => {
  const { inputs, backend, attrs } = args;
  const { x, mean, variance, offset, scale } = inputs;
  const c = x.shape[x.shape.length - 1] ?? 0;
  const params = [mean, variance, offset, scale].filter((t): t is TensorInfo => t !== undefined);
  const perChannel = params.every((t) => t.dtype === 'float32' && sizeOf(t.shape) === c && t.shape[t.shape.length - 1] === c);
  if (x.dtype !== 'float32' || !perChannel || sizeOf(x.shape) === 0) {
    return runWasmKernel(backend, 'FusedBatchNorm', inputs as never, attrs as never);
  }
  const out = backend.makeOutput([...x.shape], 'float32');
  withScratch(backend, 8 * c, (coef) => {
    simd(backend).batch_norm(
      address(backend, x), sizeOf(x.shape) / c, c, address(backend, mean), address(backend, variance),
      offset ? address(backend, offset) : 0, scale ? address(backend, scale) : 0, attrs.varianceEpsilon,
      coef, address(backend, out),
    );
  });
  return out;
};

export const batchNormKernels: KernelConfig[] = [
  { kernelName: 'FusedBatchNorm', backendName: 'wasm', kernelFunc: fusedBatchNorm as unknown as KernelFunc },
];
