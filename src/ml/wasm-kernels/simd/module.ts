/**
 * The SIMD kernels of kernels.c, instantiated once per wasm backend against the backend's own
 * memory so they read and write tensors in place. Pointers are tensor `memoryOffset`s.
 */
import { address, release, type WasmBackend } from '../wasm-backend.js';
import { SIMD_KERNELS_WASM_BASE64 } from './binary.js';

export interface SimdKernels {
  sum_rows(x: number, rows: number, width: number, accF64: number, out: number, scale: number): void;
  gemm_at_b(a: number, b: number, rows: number, m: number, n: number, accF32: number, accF64: number, out: number): void;
  conv_filter_grad(
    x: number, dy: number, n: number, h: number, w: number, ci: number, oh: number, ow: number, co: number,
    kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, pt: number, pl: number,
    accF32: number, accF64: number, out: number,
  ): void;
  conv_filter_grad_tiled(
    x: number, dy: number, n: number, h: number, w: number, ci: number, oh: number, ow: number, co: number,
    kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, pt: number, pl: number,
    rows: number, zeros: number, accF64: number, out: number,
  ): void;
  depthwise_filter_grad(
    x: number, dy: number, n: number, h: number, w: number, c: number, oh: number, ow: number,
    kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, pt: number, pl: number,
    m: number, accF32: number, accF64: number, out: number,
  ): void;
  binary_f32(op: number, a: number, aPeriod: number, b: number, bPeriod: number, n: number, out: number): void;
  batch_norm(x: number, rows: number, c: number, mean: number, variance: number, offset: number, scale: number, eps: number, coef: number, out: number): void;
  batch_norm_train(
    x: number, rows: number, c: number, scale: number, offset: number, eps: number, acc: number, coef: number,
    mean: number, variance: number, out: number,
  ): void;
  batch_norm_train_grad(
    dy: number, x: number, rows: number, c: number, mean: number, variance: number, scale: number, eps: number,
    acc: number, coef: number, dx: number, dscale: number, doffset: number,
  ): void;
  adam_update(
    w: number, g: number, m: number, v: number, n: number, decay: number, applyDecay: number, b1: number,
    oneMinusB1: number, b2: number, oneMinusB2: number, step: number, epsHat: number, wOut: number, mOut: number, vOut: number,
  ): void;
  matmul_f32(a: number, b: number, batch: number, m: number, k: number, n: number, ta: number, tb: number, aStep: number, bStep: number, out: number): void;
  max_pool_grad(
    x: number, dy: number, n: number, h: number, w: number, c: number, oh: number, ow: number,
    kh: number, kw: number, sh: number, sw: number, pt: number, pl: number, dx: number,
  ): void;
  masked_gradient(dy: number, x: number, n: number, lo: number, hi: number, loInclusive: number, out: number): void;
  depthwise_input_grad(
    dy: number, filter: number, n: number, h: number, w: number, c: number, oh: number, ow: number,
    kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, pt: number, pl: number,
    m: number, taps: number, out: number,
  ): void;
  greater_equal_scalar(x: number, n: number, s: number, out: number): void;
  less_equal_scalar(x: number, n: number, s: number, out: number): void;
  logical_and(a: number, b: number, n: number, out: number): void;
  select_f32(cond: number, t: number, e: number, n: number, out: number): void;
}

/** tsconfig's lib has no WebAssembly declarations; Node provides the global. */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

let compiled: object | undefined;
const instances = new WeakMap<WasmBackend, SimdKernels>();

export function simd(backend: WasmBackend): SimdKernels {
  let kernels = instances.get(backend);
  if (!kernels) {
    const api = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
    compiled ??= new api.Module(Buffer.from(SIMD_KERNELS_WASM_BASE64, 'base64'));
    const instance = new api.Instance(compiled, { env: { memory: backend.wasm.asm.memory } });
    kernels = instance.exports as unknown as SimdKernels;
    instances.set(backend, kernels);
  }
  return kernels;
}

/** Runs `f` with `bytes` of wasm-memory scratch space (8-byte aligned), freed afterwards. */
export function withScratch<T>(backend: WasmBackend, bytes: number, f: (ptr: number) => T): T {
  const scratch = backend.makeOutput([Math.max(1, Math.ceil(bytes / 4))], 'float32');
  try {
    return f(address(backend, scratch));
  } finally {
    release(backend, scratch);
  }
}
