/**
 * Float32 Add, Sub, Multiply and RealDiv for the shapes training produces — equal shapes, a
 * scalar, or a per-channel vector against an NHWC tensor — as SIMD loops (simd/kernels.c). The
 * backend's kernels route every element through a general broadcasting index. Other shapes and
 * dtypes go to the original kernels.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { simd } from './simd/module.js';
import { address, runWasmKernel, sizeOf, type WasmBackend } from './wasm-backend.js';

/**
 * How an operand repeats along the result: period p means result element i reads operand index
 * i % p. Defined when the operand, without leading 1s, equals the result's trailing dims.
 */
function period(shape: readonly number[], outShape: readonly number[]): number | undefined {
  let start = 0;
  while (start < shape.length && shape[start] === 1) start++;
  const core = shape.slice(start);
  if (core.length > outShape.length) return undefined;
  const tail = outShape.slice(outShape.length - core.length);
  return core.every((d, i) => d === tail[i]) ? sizeOf(core) : undefined;
}

function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    out.push(da === 1 ? db : da);
  }
  return out;
}

const OPS = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3 } as const;

function arithmeticKernel(kernelName: keyof typeof OPS): KernelConfig {
  const kernelFunc = (args: { inputs: { a: TensorInfo; b: TensorInfo }; backend: WasmBackend; attrs: object }) => {
    const { inputs: { a, b }, backend } = args;
    if (a.dtype === 'float32' && b.dtype === 'float32') {
      const outShape = broadcastShape(a.shape, b.shape);
      const n = sizeOf(outShape);
      const pa = period(a.shape, outShape);
      const pb = period(b.shape, outShape);
      if (n > 0 && pa !== undefined && pb !== undefined && (pa === n || pb === n)) {
        const out = backend.makeOutput(outShape, 'float32');
        simd(backend).binary_f32(OPS[kernelName], address(backend, a), pa, address(backend, b), pb, n, address(backend, out));
        return out;
      }
    }
    return runWasmKernel(backend, kernelName, args.inputs as never, args.attrs as never);
  };
  return { kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as KernelFunc };
}

export const arithmeticKernels: KernelConfig[] = (Object.keys(OPS) as Array<keyof typeof OPS>).map(arithmeticKernel);
