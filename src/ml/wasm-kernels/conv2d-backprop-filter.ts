/**
 * Conv2DBackpropFilter for wasm, which has none. A 1×1 stride-1 filter gradient is the matrix
 * product xᵀ·dy; any other is the correlation of the transposed input [C_in,H,W,N] with the
 * transposed output gradient [OH,OW,N,C_out] used as a filter dilated by the stride, which
 * XNNPACK's convolution computes with N as the contracted channel axis.
 */
import type { KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { explicitPad, filterGradientBorders, forwardConv, type PadAttr } from './conv-geometry.js';
import { isPlainPadding, spread } from './spread.js';
import { release, reshaped, runWasmKernel, transpose, type WasmBackend } from './wasm-backend.js';

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
  const borders = filterGradientBorders(g);

  if (kh === 1 && kw === 1 && g.strideH === 1 && g.strideW === 1 && g.padTop === 0 && g.padLeft === 0 &&
      borders.bottom === 0 && borders.right === 0) {
    const rows = g.batch * g.inH * g.inW;
    const out = runWasmKernel(backend, 'BatchMatMul',
      { a: reshaped(x, [1, rows, cIn]), b: reshaped(dy, [1, rows, cOut]) },
      { transposeA: true, transposeB: false } as NamedAttrMap);
    return reshaped(out, [kh, kw, cIn, cOut]);
  }

  const xT = transpose(backend, x, [3, 1, 2, 0]);
  const dyT = transpose(backend, dy, [1, 2, 0, 3]);
  let input = xT;
  let pad = explicitPad(borders);
  if (!isPlainPadding({ strideH: 1, strideW: 1, ...borders })) {
    input = spread(backend, xT, { strideH: 1, strideW: 1, ...borders });
    pad = explicitPad({ top: 0, bottom: 0, left: 0, right: 0 });
  }
  const conv = runWasmKernel(backend, 'Conv2D', { x: input, filter: dyT }, {
    strides: [g.dilationH, g.dilationW], dilations: [g.strideH, g.strideW], pad, dataFormat: 'NHWC',
  } as unknown as NamedAttrMap);
  const out = transpose(backend, conv, [1, 2, 0, 3]);
  release(backend, xT, dyT, conv);
  if (input !== xT) release(backend, input);
  return out;
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as KernelConfig['kernelFunc'],
};
