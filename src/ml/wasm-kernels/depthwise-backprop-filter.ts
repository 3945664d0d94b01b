/**
 * DepthwiseConv2dNativeBackpropFilter for wasm, which has none. Folding the batch into the channel
 * axis turns the filter gradient into one XNNPACK depthwise convolution: the input as
 * [1,H,W,N·C] correlated with the output gradient as an [OH,OW,N·C,M] filter dilated by the stride
 * gives [1,KH,KW,N·C·M], whose sum over N is the gradient.
 */
import type { KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { explicitPad, filterGradientBorders, forwardConv, type PadAttr } from './conv-geometry.js';
import { isPlainPadding, spread } from './spread.js';
import { f32, release, reshaped, runWasmKernel, transpose, type WasmBackend } from './wasm-backend.js';

interface Attrs {
  strides: number | [number, number];
  dilations?: number | [number, number];
  pad: PadAttr;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/** [P, N, Q] → [P, Q]: sums the middle axis. */
function sumMiddle(backend: WasmBackend, x: TensorInfo, p: number, n: number, q: number): TensorInfo {
  const out = backend.makeOutput([p, q], 'float32');
  const dst = f32(backend, out);
  const src = f32(backend, x);
  dst.fill(0);
  for (let i = 0; i < p; i++) {
    const d0 = i * q;
    for (let b = 0; b < n; b++) {
      const s0 = (i * n + b) * q;
      for (let k = 0; k < q; k++) dst[d0 + k]! += src[s0 + k]!;
    }
  }
  return out;
}

export function depthwiseConv2dNativeBackpropFilter(args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: WasmBackend; attrs: Attrs }): TensorInfo {
  const { inputs: { x, dy }, backend, attrs } = args;
  const g = forwardConv(x.shape, attrs.filterShape, attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, true);
  const [kh, kw, c, m] = attrs.filterShape;
  const n = g.batch;
  const borders = filterGradientBorders(g);

  const xT = transpose(backend, x, [1, 2, 0, 3]);
  const dyT = transpose(backend, dy, [1, 2, 0, 3]);
  const folded = reshaped(xT, [1, g.inH, g.inW, n * c]);
  let input = folded;
  let pad = explicitPad(borders);
  if (!isPlainPadding({ strideH: 1, strideW: 1, ...borders })) {
    input = spread(backend, folded, { strideH: 1, strideW: 1, ...borders });
    pad = explicitPad({ top: 0, bottom: 0, left: 0, right: 0 });
  }
  const conv = runWasmKernel(backend, 'DepthwiseConv2dNative',
    { x: input, filter: reshaped(dyT, [g.outH, g.outW, n * c, m]) },
    { strides: [g.dilationH, g.dilationW], dilations: [g.strideH, g.strideW], pad } as unknown as NamedAttrMap);
  const summed = sumMiddle(backend, conv, kh * kw, n, c * m);
  release(backend, xT, dyT, conv);
  if (input !== folded) release(backend, input);
  return reshaped(summed, [kh, kw, c, m]);
}

export const depthwiseConv2dNativeBackpropFilterConfig: KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropFilter',
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropFilter as unknown as KernelConfig['kernelFunc'],
};
