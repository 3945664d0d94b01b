/**
 * DepthwiseConv2dNativeBackpropInput for wasm, which has none: for each channel multiplier m, an
 * XNNPACK depthwise convolution of the zero-spread output-gradient channels c·M+m with the filter
 * flipped in both spatial axes, summed over m.
 */
import type { KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { explicitPad, forwardConv, inputGradientBorders, type PadAttr } from './conv-geometry.js';
import { isPlainPadding, spread } from './spread.js';
import { f32, release, runWasmKernel, type WasmBackend } from './wasm-backend.js';

interface Attrs {
  strides: number | [number, number];
  dilations?: number | [number, number];
  pad: PadAttr;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}

/** Channel multiplier `m` of a [KH,KW,C,M] filter as [KH,KW,C,1], flipped in both spatial axes. */
function flippedSlice(backend: WasmBackend, filter: TensorInfo, m: number): TensorInfo {
  const [kh, kw, c, mult] = filter.shape as [number, number, number, number];
  const out = backend.makeOutput([kh, kw, c, 1], 'float32');
  const dst = f32(backend, out);
  const src = f32(backend, filter);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const s0 = ((kh - 1 - i) * kw + (kw - 1 - j)) * c * mult + m;
      const d0 = (i * kw + j) * c;
      for (let k = 0; k < c; k++) dst[d0 + k] = src[s0 + k * mult]!;
    }
  }
  return out;
}

export function depthwiseConv2dNativeBackpropInput(args: { inputs: { dy: TensorInfo; filter: TensorInfo }; backend: WasmBackend; attrs: Attrs }): TensorInfo {
  const { inputs: { dy, filter }, backend, attrs } = args;
  const g = forwardConv(attrs.inputShape, filter.shape, attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, true);
  const mult = filter.shape[3]!;
  const borders = inputGradientBorders(g);
  const layout = { strideH: g.strideH, strideW: g.strideW, ...borders };
  const plain = mult === 1 && isPlainPadding(layout);

  let total: TensorInfo | undefined;
  for (let m = 0; m < mult; m++) {
    const grid = plain ? dy : spread(backend, dy, { ...layout, cStride: mult, cOffset: m });
    const flipped = flippedSlice(backend, filter, m);
    const part = runWasmKernel(backend, 'DepthwiseConv2dNative', { x: grid, filter: flipped }, {
      strides: [1, 1], dilations: [g.dilationH, g.dilationW],
      pad: explicitPad(plain ? borders : { top: 0, bottom: 0, left: 0, right: 0 }),
    } as unknown as NamedAttrMap);
    release(backend, flipped);
    if (!plain) release(backend, grid);
    if (total === undefined) {
      total = part;
    } else {
      const acc = f32(backend, total);
      const add = f32(backend, part);
      for (let i = 0; i < acc.length; i++) acc[i]! += add[i]!;
      release(backend, part);
    }
  }
  return total!;
}

export const depthwiseConv2dNativeBackpropInputConfig: KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropInput',
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropInput as unknown as KernelConfig['kernelFunc'],
};
