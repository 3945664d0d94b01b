/**
 * The element-wise kernels of ReLU6 and clipping gradients — one fused kernel for the gradients
 * this project registers on wasm, and for graphs that still use the generic path — x >= s, x <= s, a && b and
 * select(cond, t, e) — as SIMD loops. The backend's versions broadcast through a general index
 * routine and run several times slower. Only the shapes those gradients produce are handled here
 * (a float32 tensor against a scalar, equal shapes); the rest go to the original kernels.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { simd } from './simd/module.js';
import { address, f32, runWasmKernel, sizeOf, type WasmBackend } from './wasm-backend.js';

type Args<I> = { inputs: I; backend: WasmBackend; attrs: object };
const sameShape = (a: TensorInfo, b: TensorInfo) => a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);

function compareWithScalar(kernelName: 'GreaterEqual' | 'LessEqual', fn: 'greater_equal_scalar' | 'less_equal_scalar'): KernelConfig {
  const kernelFunc = (args: Args<{ a: TensorInfo; b: TensorInfo }>) => {
    const { inputs: { a, b }, backend } = args;
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || sizeOf(b.shape) !== 1 || b.shape.length > a.shape.length) {
      return runWasmKernel(backend, kernelName, args.inputs as never, args.attrs as never);
    }
    const out = backend.makeOutput([...a.shape], 'bool');
    const scalar = f32(backend, b)[0]!;
    simd(backend)[fn](address(backend, a), sizeOf(a.shape), scalar, address(backend, out));
    return out;
  };
  return { kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as KernelFunc };
}

const logicalAnd = (args: Args<{ a: TensorInfo; b: TensorInfo }>) => {
  const { inputs: { a, b }, backend } = args;
  if (a.dtype !== 'bool' || b.dtype !== 'bool' || !sameShape(a, b)) {
    return runWasmKernel(backend, 'LogicalAnd', args.inputs as never, args.attrs as never);
  }
  const out = backend.makeOutput([...a.shape], 'bool');
  simd(backend).logical_and(address(backend, a), address(backend, b), sizeOf(a.shape), address(backend, out));
  return out;
};

const select = (args: Args<{ condition: TensorInfo; t: TensorInfo; e: TensorInfo }>) => {
  const { inputs: { condition, t, e }, backend } = args;
  if (condition.dtype !== 'bool' || t.dtype !== 'float32' || e.dtype !== 'float32' || !sameShape(condition, t) || !sameShape(t, e)) {
    return runWasmKernel(backend, 'Select', args.inputs as never, args.attrs as never);
  }
  const out = backend.makeOutput([...t.shape], 'float32');
  simd(backend).select_f32(address(backend, condition), address(backend, t), address(backend, e), sizeOf(t.shape), address(backend, out));
  return out;
};

/** Name of the kernel behind the wasm gradients of Relu, Relu6 and ClipByValue (gradients.ts). */
export const MASKED_GRADIENT = 'DagMaskedGradient';

export interface MaskedGradientAttrs {
  lo: number;
  hi: number;
  /** Whether x == lo passes the gradient (clipping) or not (ReLU's step). */
  loInclusive: boolean;
}

const maskedGradient = (args: Args<{ dy: TensorInfo; x: TensorInfo }> & { attrs: MaskedGradientAttrs }) => {
  const { inputs: { dy, x }, backend, attrs } = args;
  if (dy.dtype !== 'float32' || x.dtype !== 'float32' || !sameShape(dy, x)) {
    throw new Error(`${MASKED_GRADIENT} needs float32 dy and x of one shape`);
  }
  const out = backend.makeOutput([...x.shape], 'float32');
  simd(backend).masked_gradient(address(backend, dy), address(backend, x), sizeOf(x.shape), attrs.lo, attrs.hi,
    attrs.loInclusive ? 1 : 0, address(backend, out));
  return out;
};

export const maskKernels: KernelConfig[] = [
  { kernelName: MASKED_GRADIENT, backendName: 'wasm', kernelFunc: maskedGradient as unknown as KernelFunc },
  compareWithScalar('GreaterEqual', 'greater_equal_scalar'),
  compareWithScalar('LessEqual', 'less_equal_scalar'),
  { kernelName: 'LogicalAnd', backendName: 'wasm', kernelFunc: logicalAnd as unknown as KernelFunc },
  { kernelName: 'Select', backendName: 'wasm', kernelFunc: select as unknown as KernelFunc },
];
