/**
 * DepthwiseConv2dNativeBackpropFilter for wasm, which has none: a direct SIMD loop over output
 * pixels and filter taps, vectorised across channels (simd/kernels.c). Composing it from XNNPACK's
 * depthwise convolution (batch folded into channels) gives the same result but spends most of its
 * time transposing the input and the gradient into that layout.
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import { forwardConv, type PadAttr } from './conv-geometry.js';
import { simd, withScratch } from './simd/module.js';
import { address, type WasmBackend } from './wasm-backend.js';

interface Attrs {
  strides: number | [number, number];
  dilations?: number | [number, number];
  pad: PadAttr;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

export function depthwiseConv2dNativeBackpropFilter(args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: WasmBackend; attrs: Attrs }): TensorInfo {
  const { inputs: { x, dy }, backend, attrs } = args;
  const g = forwardConv(x.shape, attrs.filterShape, attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, true);
  const [kh, kw, c, m] = attrs.filterShape;
  const size = kh * kw * c * m;
  const out = backend.makeOutput([kh, kw, c, m], 'float32');
  withScratch(backend, size * 12, (scratch) => {
    simd(backend).depthwise_filter_grad(
      address(backend, x), address(backend, dy), g.batch, g.inH, g.inW, c, g.outH, g.outW, kh, kw,
      g.strideH, g.strideW, g.dilationH, g.dilationW, g.padTop, g.padLeft, m,
      scratch + size * 8, scratch, address(backend, out),
    );
  });
  return out;
}

export const depthwiseConv2dNativeBackpropFilterConfig: KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropFilter',
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropFilter as unknown as KernelConfig['kernelFunc'],
};
