/**
 * Conv2DBackpropFilter for wasm, which has none. A 1×1 stride-1 filter gradient is the matrix
 * product xᵀ·dy (run as a 1×1 convolution: the backend's BatchMatMul is several times slower than
 * its XNNPACK convolution); any other is the correlation of the transposed input [C_in,H,W,N] with the
 * transposed output gradient [OH,OW,N,C_out] used as a filter dilated by the stride, which
 * XNNPACK's convolution computes with N as the contracted channel axis.
 */
import type { KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { explicitPad, filterGradientBorders, forwardConv, type PadAttr } from './conv-geometry.js';
import { isPlainPadding, spread } from './spread.js';
import { swapAxes } from './simd/module.js';
import { release, reshaped, runWasmKernel, type WasmBackend } from './wasm-backend.js';

interface Attrs {
  strides: number | [number, number];
  pad: PadAttr;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
  dataFormat?: 'NHWC' | 'NCHW';
}

/**
 * xᵀ·dy over `rows` pixels, as a 1×1 convolution whose batch is the channel axis of whichever of x
 * and dy has fewer channels (the only operand transposed), the other serving as the filter.
 */
function pointwiseFilterGradient(backend: WasmBackend, x: TensorInfo, dy: TensorInfo, rows: number, cIn: number, cOut: number): TensorInfo {
  const gemm = (left: TensorInfo, leftC: number, right: TensorInfo, rightC: number) => {
    const leftT = swapAxes(backend, left, [1, rows, leftC, 1], [leftC, 1, 1, rows]);
    const product = runWasmKernel(backend, 'Conv2D',
      { x: leftT, filter: reshaped(right, [1, 1, rows, rightC]) },
      { strides: [1, 1], dilations: [1, 1], pad: 'valid', dataFormat: 'NHWC' } as unknown as NamedAttrMap);
    release(backend, leftT);
    return product;
  };
  if (cIn <= cOut) return reshaped(gemm(x, cIn, dy, cOut), [1, 1, cIn, cOut]);
  const transposed = gemm(dy, cOut, x, cIn);
  const out = swapAxes(backend, transposed, [1, cOut, cIn, 1], [1, 1, cIn, cOut]);
  release(backend, transposed);
  return out;
}

export function conv2DBackpropFilter(args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: WasmBackend; attrs: Attrs }): TensorInfo {
  const { inputs: { x, dy }, backend, attrs } = args;
  if (attrs.dataFormat === 'NCHW') throw new Error('wasm Conv2DBackpropFilter supports only NHWC');
  const g = forwardConv(x.shape, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false);
  const [kh, kw, cIn, cOut] = attrs.filterShape;
  const borders = filterGradientBorders(g);

  if (kh === 1 && kw === 1 && g.strideH === 1 && g.strideW === 1 && g.padTop === 0 && g.padLeft === 0 &&
      borders.bottom === 0 && borders.right === 0) {
    return pointwiseFilterGradient(backend, x, dy, g.batch * g.inH * g.inW, cIn, cOut);
  }

  const pixels = g.inH * g.inW;
  // x [N,H,W,Ci] → [H·W,Ci,N] → [Ci,H,W,N]; dy [N,OH,OW,Co] → [OH,OW,N,Co].
  const xPixelsFirst = swapAxes(backend, x, [1, g.batch, pixels * cIn, 1], [pixels, cIn, g.batch]);
  const xT = swapAxes(backend, xPixelsFirst, [1, pixels, cIn, g.batch], [cIn, g.inH, g.inW, g.batch]);
  release(backend, xPixelsFirst);
  const dyT = swapAxes(backend, dy, [1, g.batch, g.outH * g.outW, cOut], [g.outH, g.outW, g.batch, cOut]);
  let input = xT;
  let pad = explicitPad(borders);
  if (!isPlainPadding({ strideH: 1, strideW: 1, ...borders })) {
    input = spread(backend, xT, { strideH: 1, strideW: 1, ...borders });
    pad = explicitPad({ top: 0, bottom: 0, left: 0, right: 0 });
  }
  const conv = runWasmKernel(backend, 'Conv2D', { x: input, filter: dyT }, {
    strides: [g.dilationH, g.dilationW], dilations: [g.strideH, g.strideW], pad, dataFormat: 'NHWC',
  } as unknown as NamedAttrMap);
  const out = swapAxes(backend, conv, [1, cIn, kh * kw, cOut], [kh, kw, cIn, cOut]);
  release(backend, xT, dyT, conv);
  if (input !== xT) release(backend, input);
  return out;
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as KernelConfig['kernelFunc'],
};
