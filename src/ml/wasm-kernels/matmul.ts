/**
 * BatchMatMul for float32 with at most one transposed operand. The backend hands every
 * transposed or batched product to a naive loop, and builds an XNNPACK operator (packing the
 * right-hand matrix) for the rest: a dense layer's two gradient products cost ~7 ms each for a
 * few million multiply-adds. Both transposed goes to the original kernel.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { simd } from './simd/module.js';
import { address, runWasmKernel, sizeOf, type WasmBackend } from './wasm-backend.js';

interface Attrs {
  transposeA: boolean;
  transposeB: boolean;
}

const batchMatMul = (args: { inputs: { a: TensorInfo; b: TensorInfo }; backend: WasmBackend; attrs: Attrs }) => {
  const { inputs: { a, b }, backend, attrs: { transposeA, transposeB } } = args;
  const [ra, rb] = [a.shape.length, b.shape.length];
  const batchA = sizeOf(a.shape.slice(0, -2));
  const batchB = sizeOf(b.shape.slice(0, -2));
  const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  const kB = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const sameBatchDims = ra === rb && a.shape.slice(0, -2).every((d, i) => d === b.shape[i]);
  const simple = a.dtype === 'float32' && b.dtype === 'float32' && ra >= 2 && rb >= 2 && k === kB &&
    !(transposeA && transposeB) && (sameBatchDims || (batchA === 1 && ra === 2) || (batchB === 1 && rb === 2)) &&
    m * n * k > 0;
  if (!simple) return runWasmKernel(backend, 'BatchMatMul', args.inputs as never, args.attrs as never);
  const batch = Math.max(batchA, batchB);
  const outer = batchA >= batchB ? a.shape.slice(0, -2) : b.shape.slice(0, -2);
  const out = backend.makeOutput([...outer, m, n], 'float32');
  simd(backend).matmul_f32(address(backend, a), address(backend, b), batch, m, k, n, transposeA ? 1 : 0, transposeB ? 1 : 0,
    batchA === 1 ? 0 : m * k, batchB === 1 ? 0 : k * n, address(backend, out));
  return out;
};

export const matMulKernels: KernelConfig[] = [
  { kernelName: 'BatchMatMul', backendName: 'wasm', kernelFunc: batchMatMul as unknown as KernelFunc },
];
