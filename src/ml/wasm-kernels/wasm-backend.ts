/**
 * The small part of tfjs-backend-wasm's `BackendWasm` the training kernels use, and helpers to call
 * the backend's own (XNNPACK-backed) kernels on raw TensorInfos without going through the engine.
 *
 * Working on TensorInfos rather than tensors keeps intermediates out of the engine's bookkeeping:
 * every intermediate a kernel makes it frees itself with {@link release}.
 */
import { getKernel, type KernelConfig, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs';

interface WasmTensorData {
  id: number;
  memoryOffset: number;
  shape: number[];
  dtype: string;
  refCount: number;
}

export interface WasmBackend {
  wasm: { HEAPF32: Float32Array; HEAP32: Int32Array; asm: { memory: object } };
  dataIdMap: { get(dataId: object): WasmTensorData | undefined };
  makeOutput(shape: number[], dtype: 'float32' | 'int32' | 'bool'): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
  incRef(dataId: object): void;
}

/** Original wasm kernels captured before this project replaced any of them. */
const originals = new Map<string, KernelConfig>();

export function rememberOriginal(kernelName: string): KernelConfig | undefined {
  if (!originals.has(kernelName)) {
    const config = getKernel(kernelName, 'wasm');
    if (config) originals.set(kernelName, config);
  }
  return originals.get(kernelName);
}

/** Runs the wasm backend's built-in kernel `kernelName` (never this project's replacement). */
export function runWasmKernel(
  backend: WasmBackend,
  kernelName: string,
  inputs: Record<string, TensorInfo>,
  attrs: NamedAttrMap = {},
): TensorInfo {
  const config = originals.get(kernelName) ?? getKernel(kernelName, 'wasm');
  if (!config) throw new Error(`wasm backend has no ${kernelName} kernel`);
  return config.kernelFunc({ inputs, backend: backend as never, attrs }) as TensorInfo;
}

export function release(backend: WasmBackend, ...infos: TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/**
 * A live view of a float32 tensor's bytes in wasm memory. Any allocation may grow (and so detach)
 * the heap: take views only after every output of a step has been allocated.
 */
/** Byte address of a tensor's data in wasm memory. */
export function address(backend: WasmBackend, info: TensorInfo): number {
  const data = backend.dataIdMap.get(info.dataId);
  if (!data) throw new Error('tensor is not on the wasm backend');
  return data.memoryOffset;
}

export function f32(backend: WasmBackend, info: TensorInfo): Float32Array {
  const data = backend.dataIdMap.get(info.dataId);
  if (!data) throw new Error('tensor is not on the wasm backend');
  const start = data.memoryOffset >>> 2;
  return backend.wasm.HEAPF32.subarray(start, start + sizeOf(info.shape));
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function reshaped(info: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: info.dataId, shape, dtype: info.dtype };
}
