/**
 * Conv2DBackpropInput for wasm, replacing the backend's naive loop: a stride-1 XNNPACK convolution of the zero-spread output
 * gradient with the filter rotated by 180° and its channel axes swapped.
 */
import type { KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { explicitPad, forwardConv, inputGradientBorders, type PadAttr } from './conv-geometry.js';
import { isPlainPadding, spread } from './spread.js';
import { f32, release, runWasmKernel, type WasmBackend } from './wasm-backend.js';

interface Attrs {
  strides: number | [number, number];
  pad: PadAttr;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
  dataFormat?: 'NHWC' | 'NCHW';
}

/** [KH,KW,Ci,Co] → [KH,KW,Co,Ci] flipped in both spatial axes. */
function rotateFilter(backend: WasmBackend, filter: TensorInfo): TensorInfo {
  const [kh, kw, ci, co] = filter.shape as [number, number, number, number];
  const out = backend.makeOutput([kh, kw, co, ci], 'float32');
  const dst = f32(backend, out);
  const src = f32(backend, filter);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const s0 = ((kh - 1 - i) * kw + (kw - 1 - j)) * ci * co;
      const d0 = (i * kw + j) * co * ci;
      for (let a = 0; a < ci; a++) {
        for (let b = 0; b < co; b++) dst[d0 + b * ci + a] = src[s0 + a * co + b]!;
      }
    }
  }
  return out;
}

export function conv2DBackpropInput(args: { inputs: { dy: TensorInfo; filter: TensorInfo }; backend: WasmBackend; attrs: Attrs }): TensorInfo {
  const { inputs: { dy, filter }, backend, attrs } = args;
  if (attrs.dataFormat === 'NCHW') throw new Error('wasm Conv2DBackpropInput supports only NHWC');
  const g = forwardConv(attrs.inputShape, filter.shape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false);
  const [kh, kw] = filter.shape;
  if (kh === 1 && kw === 1 && g.padTop === 0 && g.padLeft === 0 && (g.strideH > 1 || g.strideW > 1)) {
    // A strided 1×1 convolution reads only every stride-th pixel: their gradient is a 1×1
    // convolution of dy, spread onto a zero grid, instead of a convolution over the spread dy.
    const rotated = rotateFilter(backend, filter);
    const sampled = runWasmKernel(backend, 'Conv2D', { x: dy, filter: rotated }, {
      strides: [1, 1], dilations: [1, 1], dataFormat: 'NHWC', pad: 'valid',
    } as unknown as NamedAttrMap);
    const out = spread(backend, sampled, {
      strideH: g.strideH, strideW: g.strideW, top: 0, left: 0,
      bottom: g.inH - ((g.outH - 1) * g.strideH + 1), right: g.inW - ((g.outW - 1) * g.strideW + 1),
    });
    release(backend, rotated, sampled);
    return out;
  }
  const borders = inputGradientBorders(g);
  const layout = { strideH: g.strideH, strideW: g.strideW, ...borders };
  const plain = isPlainPadding(layout);
  const grid = plain ? dy : spread(backend, dy, layout);
  const rotated = rotateFilter(backend, filter);
  const out = runWasmKernel(backend, 'Conv2D', { x: grid, filter: rotated }, {
    strides: [1, 1], dilations: [1, 1], dataFormat: 'NHWC',
    pad: explicitPad(plain ? borders : { top: 0, bottom: 0, left: 0, right: 0 }),
  } as unknown as NamedAttrMap);
  release(backend, rotated);
  if (!plain) release(backend, grid);
  return out;
}

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropInput',
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput as unknown as KernelConfig['kernelFunc'],
};
