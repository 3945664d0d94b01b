/**
 * DepthwiseConv2dNativeBackpropInput for wasm, which has none: each input pixel gathers the
 * output-gradient pixels whose filter taps read it, a SIMD loop across channels accumulating in
 * registers (simd/kernels.c). The composition from XNNPACK's depthwise convolution (the zero-spread gradient
 * correlated with the flipped filter, once per channel multiplier) gives the same result but
 * spends its time spreading the gradient and repacking the filter.
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
  inputShape: [number, number, number, number];
}

export function depthwiseConv2dNativeBackpropInput(args: { inputs: { dy: TensorInfo; filter: TensorInfo }; backend: WasmBackend; attrs: Attrs }): TensorInfo {
  const { inputs: { dy, filter }, backend, attrs } = args;
  const g = forwardConv(attrs.inputShape, filter.shape, attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, true);
  const [kh, kw, c, m] = filter.shape as [number, number, number, number];
  const out = backend.makeOutput([...attrs.inputShape], 'float32');
  withScratch(backend, 8 * kh * kw, (taps) => {
    simd(backend).depthwise_input_grad(
      address(backend, dy), address(backend, filter), g.batch, g.inH, g.inW, c, g.outH, g.outW, kh, kw,
      g.strideH, g.strideW, g.dilationH, g.dilationW, g.padTop, g.padLeft, m, taps, address(backend, out),
    );
  });
  return out;
}

export const depthwiseConv2dNativeBackpropInputConfig: KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropInput',
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropInput as unknown as KernelConfig['kernelFunc'],
};
