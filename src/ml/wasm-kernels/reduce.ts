/**
 * Sum and Mean over the leading axes (batch-norm statistics and bias/scale gradients reduce an
 * NHWC tensor over N, H and W) as one SIMD pass accumulating rows. The backend's kernels first
 * transpose the whole tensor to make the reduced axes innermost. Other reductions go to the
 * original kernels.
 */
import { util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { simd, withScratch } from './simd/module.js';
import { address, runWasmKernel, sizeOf, type WasmBackend } from './wasm-backend.js';

interface ReduceAttrs {
  axis: number | number[];
  keepDims: boolean;
}

/** The number of leading axes reduced, or undefined when the axes are not exactly 0..k-1 (k < rank). */
function leadingAxes(axis: number | number[], rank: number): number | undefined {
  const axes = util.parseAxisParam(axis, new Array(rank).fill(1)).sort((p, q) => p - q);
  for (let i = 0; i < axes.length; i++) if (axes[i] !== i) return undefined;
  return axes.length === 0 || axes.length === rank ? undefined : axes.length;
}

function reduceKernel(kernelName: 'Sum' | 'Mean'): KernelConfig {
  const kernelFunc = (args: { inputs: { x: TensorInfo }; backend: WasmBackend; attrs: ReduceAttrs }) => {
    const { inputs: { x }, backend, attrs } = args;
    const k = x.dtype === 'float32' ? leadingAxes(attrs.axis, x.shape.length) : undefined;
    if (k === undefined || sizeOf(x.shape) === 0) {
      return runWasmKernel(backend, kernelName, { x }, attrs as never);
    }
    const rows = sizeOf(x.shape.slice(0, k));
    const width = sizeOf(x.shape.slice(k));
    const outShape = attrs.keepDims ? [...new Array<number>(k).fill(1), ...x.shape.slice(k)] : x.shape.slice(k);
    const out = backend.makeOutput(outShape, 'float32');
    withScratch(backend, width * 8, (acc) => {
      simd(backend).sum_rows(address(backend, x), rows, width, acc, address(backend, out), kernelName === 'Mean' ? 1 / rows : 1);
    });
    return out;
  };
  return { kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as KernelFunc };
}

export const reduceKernels: KernelConfig[] = [reduceKernel('Sum'), reduceKernel('Mean')];
