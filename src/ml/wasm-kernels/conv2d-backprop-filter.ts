/**
 * Conv2DBackpropFilter for wasm, which has none: a SIMD outer-product accumulation over output
 * pixels (simd/kernels.c), four pixels per pass over the accumulators. The composition from
 * XNNPACK's forward convolution (the transposed input correlated with the transposed gradient,
 * dilated by the stride) computes the same thing but has to pass the whole batch's gradient as a
 * filter, which XNNPACK repacks on every call, after two full transposes; it measured 1.3–9× slower
 * on mobile2 and ResNet shapes.
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import { forwardConv, type PadAttr } from './conv-geometry.js';
import { simd, withScratch } from './simd/module.js';
import { address, type WasmBackend } from './wasm-backend.js';

/** Output pixels per block of the tiled kernel (CHUNK in simd/kernels.c). */
const CHUNK = 256;

interface Attrs {
  strides: number | [number, number];
  pad: PadAttr;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
  dataFormat?: 'NHWC' | 'NCHW';
}

export function conv2DBackpropFilter(args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: WasmBackend; attrs: Attrs }): TensorInfo {
  const { inputs: { x, dy }, backend, attrs } = args;
  if (attrs.dataFormat === 'NCHW') throw new Error('wasm Conv2DBackpropFilter supports only NHWC');
  const g = forwardConv(x.shape, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false);
  const [kh, kw, cIn, cOut] = attrs.filterShape;
  const size = kh * kw * cIn * cOut;
  const out = backend.makeOutput([kh, kw, cIn, cOut], 'float32');
  const kernels = simd(backend);
  const [xPtr, dyPtr, outPtr] = [address(backend, x), address(backend, dy), address(backend, out)];
  if (cOut % 4 === 0) {
    // Scratch: float64 totals, then 256 row pointers per tap, then a zero row for padded taps.
    const rowsBytes = 4 * CHUNK * kh * kw;
    withScratch(backend, size * 8 + rowsBytes + 4 * cIn, (scratch) => {
      const rows = scratch + size * 8;
      const zeros = rows + rowsBytes;
      backend.wasm.HEAPF32.fill(0, zeros >>> 2, (zeros >>> 2) + cIn);
      kernels.conv_filter_grad_tiled(xPtr, dyPtr, g.batch, g.inH, g.inW, cIn, g.outH, g.outW, cOut, kh, kw,
        g.strideH, g.strideW, g.dilationH, g.dilationW, g.padTop, g.padLeft, rows, zeros, scratch, outPtr);
    });
    return out;
  }
  withScratch(backend, size * 12, (scratch) => {
    const [accF64, accF32] = [scratch, scratch + size * 8];
    if (kh === 1 && kw === 1 && g.strideH === 1 && g.strideW === 1 && g.padTop === 0 && g.padLeft === 0 &&
        g.outH === g.inH && g.outW === g.inW) {
      // A pointwise convolution's filter gradient is xᵀ·dy: no taps to locate.
      kernels.gemm_at_b(xPtr, dyPtr, g.batch * g.inH * g.inW, cIn, cOut, accF32, accF64, outPtr);
    } else {
      kernels.conv_filter_grad(xPtr, dyPtr, g.batch, g.inH, g.inW, cIn, g.outH, g.outW, cOut, kh, kw,
        g.strideH, g.strideW, g.dilationH, g.dilationW, g.padTop, g.padLeft, accF32, accF64, outPtr);
    }
  });
  return out;
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as KernelConfig['kernelFunc'],
};
