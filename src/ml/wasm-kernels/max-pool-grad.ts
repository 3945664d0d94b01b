/**
 * MaxPoolGrad as one pass over the output gradient (simd/kernels.c): the backend's kernel took
 * ~47 ms per call on the base CNN's pools. Each gradient goes to its window's first maximum, the
 * reference backend's choice, so ties (frequent after ReLU) resolve identically.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { backend_util } from '@tensorflow/tfjs';
import type { PadAttr } from './conv-geometry.js';
import { simd } from './simd/module.js';
import { address, runWasmKernel, type WasmBackend } from './wasm-backend.js';

interface Attrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: PadAttr;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

const maxPoolGrad = (args: { inputs: { dy: TensorInfo; input: TensorInfo; output: TensorInfo }; backend: WasmBackend; attrs: Attrs }) => {
  const { inputs: { dy, input }, backend, attrs } = args;
  if (input.dtype !== 'float32' || dy.dtype !== 'float32' || input.shape.length !== 4) {
    return runWasmKernel(backend, 'MaxPoolGrad', args.inputs as never, args.attrs as never);
  }
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode,
  );
  const dx = backend.makeOutput([...input.shape], 'float32');
  simd(backend).max_pool_grad(
    address(backend, input), address(backend, dy), info.batchSize, info.inHeight, info.inWidth, info.inChannels,
    info.outHeight, info.outWidth, info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth,
    info.padInfo.top, info.padInfo.left, address(backend, dx),
  );
  return dx;
};

export const maxPoolGradKernels: KernelConfig[] = [
  { kernelName: 'MaxPoolGrad', backendName: 'wasm', kernelFunc: maxPoolGrad as unknown as KernelFunc },
];
