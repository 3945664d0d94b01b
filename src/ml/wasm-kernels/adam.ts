/**
 * One Adam / AdamW parameter update as a single wasm kernel (simd/kernels.c): the optimiser's
 * op-by-op update is about ten element-wise kernels per variable, each a separate dispatch and
 * allocation, for what is one pass over four small arrays. The kernel repeats the same float32
 * operations in the same order, so the weights are bit-identical to the op-by-op update.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap, Tensor, TensorInfo } from '@tensorflow/tfjs';
import { simd } from './simd/module.js';
import { address, sizeOf, type WasmBackend } from './wasm-backend.js';

export const ADAM_UPDATE = 'DagAdamUpdate';

export interface AdamUpdateAttrs {
  beta1: number;
  beta2: number;
  /** lr with both bias corrections folded in. */
  stepSize: number;
  epsHat: number;
  /** Decoupled weight decay factor 1 − lr·λ, or null for none. */
  decay: number | null;
}

type Inputs = { w: TensorInfo; g: TensorInfo; m: TensorInfo; v: TensorInfo };

const adamUpdate = (args: { inputs: Inputs; backend: WasmBackend; attrs: AdamUpdateAttrs }) => {
  const { inputs: { w, g, m, v }, backend, attrs } = args;
  const n = sizeOf(w.shape);
  if ([w, g, m, v].some((t) => t.dtype !== 'float32' || sizeOf(t.shape) !== n)) {
    throw new Error(`${ADAM_UPDATE} needs float32 w, g, m and v of one size`);
  }
  const outs = [w, m, v].map((t) => backend.makeOutput([...t.shape], 'float32'));
  const [wOut, mOut, vOut] = outs.map((t) => address(backend, t));
  simd(backend).adam_update(
    address(backend, w), address(backend, g), address(backend, m), address(backend, v), n,
    attrs.decay ?? 1, attrs.decay === null ? 0 : 1, attrs.beta1, 1 - attrs.beta1, attrs.beta2, 1 - attrs.beta2,
    attrs.stepSize, attrs.epsHat, wOut!, mOut!, vOut!,
  );
  return outs;
};

export const adamKernels: KernelConfig[] = [
  { kernelName: ADAM_UPDATE, backendName: 'wasm', kernelFunc: adamUpdate as unknown as KernelFunc },
];

/** Whether the fused update can run: the wasm backend is active with this kernel installed. */
export function fusedAdamAvailable(): boolean {
  return tf.getBackend() === 'wasm' && tf.getKernel(ADAM_UPDATE, 'wasm') !== undefined;
}

/** [new w, new m, new v]; no gradient (an optimiser update is never differentiated). */
export function adamUpdateFused(w: Tensor, g: Tensor, m: Tensor, v: Tensor, attrs: AdamUpdateAttrs): [Tensor, Tensor, Tensor] {
  return tf.engine().runKernel(ADAM_UPDATE, { w, g, m, v }, attrs as unknown as NamedAttrMap) as [Tensor, Tensor, Tensor];
}
