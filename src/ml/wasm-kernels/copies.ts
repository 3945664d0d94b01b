/**
 * Kernels that only move data. Identity (and a Cast to the same dtype) shares the input's memory
 * with a new reference, as the cpu backend does, instead of copying it: tensors are immutable, and
 * a training step makes hundreds of identities of full activation tensors. Tile copies blocks.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { f32, runWasmKernel, sizeOf, type WasmBackend } from './wasm-backend.js';

function share(backend: WasmBackend, x: TensorInfo): TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

const identity = (args: { inputs: { x: TensorInfo }; backend: WasmBackend }) => {
  const { inputs: { x }, backend } = args;
  if (x.dtype === 'string') return runWasmKernel(backend, 'Identity', { x });
  return share(backend, x);
};

const cast = (args: { inputs: { x: TensorInfo }; backend: WasmBackend; attrs: { dtype: string } }) => {
  const { inputs: { x }, backend, attrs } = args;
  if (attrs.dtype === x.dtype && x.dtype !== 'string') return share(backend, x);
  return runWasmKernel(backend, 'Cast', { x }, attrs as never);
};

/**
 * Float32 tiling of any shape: each input row along the last axis is copied once, and every
 * axis's block is then repeated with memory copies, innermost axis first. The backend's kernel
 * computes a source index per element.
 */
const tile = (args: { inputs: { x: TensorInfo }; backend: WasmBackend; attrs: { reps: number[] } }) => {
  const { inputs: { x }, backend, attrs } = args;
  const { reps } = attrs;
  const rank = x.shape.length;
  if (x.dtype !== 'float32' || rank === 0 || reps.length !== rank || sizeOf(x.shape) === 0) {
    return runWasmKernel(backend, 'Tile', { x }, attrs as never);
  }
  const outShape = x.shape.map((d, i) => d * reps[i]!);
  const out = backend.makeOutput(outShape, 'float32');
  const dst = f32(backend, out);
  const src = f32(backend, x);
  // Elements in one step along axis i, of the input and of the output.
  const inStride = new Array<number>(rank).fill(1);
  const outStride = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) {
    inStride[i] = inStride[i + 1]! * x.shape[i + 1]!;
    outStride[i] = outStride[i + 1]! * outShape[i + 1]!;
  }
  const fill = (axis: number, inOffset: number, outOffset: number): void => {
    const d = x.shape[axis]!;
    if (axis === rank - 1) {
      dst.set(src.subarray(inOffset, inOffset + d), outOffset);
    } else {
      for (let i = 0; i < d; i++) fill(axis + 1, inOffset + i * inStride[axis]!, outOffset + i * outStride[axis]!);
    }
    const block = d * outStride[axis]!;
    for (let r = 1; r < reps[axis]!; r++) dst.copyWithin(outOffset + r * block, outOffset, outOffset + block);
  };
  fill(0, 0, 0);
  return out;
};

export const copyKernels: KernelConfig[] = [
  { kernelName: 'Identity', backendName: 'wasm', kernelFunc: identity as unknown as KernelFunc },
  { kernelName: 'Cast', backendName: 'wasm', kernelFunc: cast as unknown as KernelFunc },
  { kernelName: 'Tile', backendName: 'wasm', kernelFunc: tile as unknown as KernelFunc },
];
