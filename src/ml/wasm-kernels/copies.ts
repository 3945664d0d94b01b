/**
 * Kernels that only move data. Identity (and a Cast to the same dtype) shares the input's memory
 * with a new reference, as the cpu backend does, instead of copying it: tensors are immutable, and
 * a training step makes hundreds of identities of full activation tensors. Tile writes the
 * repeated block once and doubles it with memory copies.
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
 * Tiling in NHWC order: the output is the input's rows (the trailing dims where reps are 1)
 * repeated; handled when every rep > 1 lies before the first input dim > 1, the shape batch-norm
 * gradients tile a per-channel vector to.
 */
const tile = (args: { inputs: { x: TensorInfo }; backend: WasmBackend; attrs: { reps: number[] } }) => {
  const { inputs: { x }, backend, attrs } = args;
  const firstNonUnit = x.shape.findIndex((d) => d !== 1);
  const lastRep = attrs.reps.reduce((last, r, i) => (r !== 1 ? i : last), -1);
  if (x.dtype !== 'float32' || firstNonUnit === -1 || lastRep >= firstNonUnit) {
    return runWasmKernel(backend, 'Tile', { x }, attrs as never);
  }
  const outShape = x.shape.map((d, i) => d * attrs.reps[i]!);
  const out = backend.makeOutput(outShape, 'float32');
  const dst = f32(backend, out);
  const block = sizeOf(x.shape);
  dst.set(f32(backend, x), 0);
  let filled = block;
  while (filled < dst.length) {
    const chunk = Math.min(filled, dst.length - filled);
    dst.copyWithin(filled, 0, chunk);
    filled += chunk;
  }
  return out;
};

export const copyKernels: KernelConfig[] = [
  { kernelName: 'Identity', backendName: 'wasm', kernelFunc: identity as unknown as KernelFunc },
  { kernelName: 'Cast', backendName: 'wasm', kernelFunc: cast as unknown as KernelFunc },
  { kernelName: 'Tile', backendName: 'wasm', kernelFunc: tile as unknown as KernelFunc },
];
