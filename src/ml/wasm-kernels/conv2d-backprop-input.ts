/**
 * Conv2DBackpropInput for wasm, replacing the backend's naive loop: a stride-1 XNNPACK convolution
 * of the output gradient with the filter rotated by 180° and its channel axes swapped; for strided
 * convolutions one such convolution per stride phase with the taps of that phase.
 */
import type { KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { explicitPad, forwardConv, inputGradientBorders, type ForwardConv, type PadAttr } from './conv-geometry.js';
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

/**
 * The filter taps that reach input rows ≡ ry and columns ≡ rx (mod the stride) — rows ky = ry,
 * ry + sh, … — flipped and with channel axes swapped, as a [A, B, Co, Ci] filter; undefined when
 * no tap reaches that phase.
 */
function phaseFilter(backend: WasmBackend, filter: TensorInfo, ry: number, rx: number, sh: number, sw: number): TensorInfo | undefined {
  const [kh, kw, ci, co] = filter.shape as [number, number, number, number];
  const rowsOf = Math.ceil((kh - ry) / sh);
  const colsOf = Math.ceil((kw - rx) / sw);
  if (rowsOf <= 0 || colsOf <= 0) return undefined;
  const out = backend.makeOutput([rowsOf, colsOf, co, ci], 'float32');
  const dst = f32(backend, out);
  const src = f32(backend, filter);
  for (let i = 0; i < rowsOf; i++) {
    for (let j = 0; j < colsOf; j++) {
      const s0 = ((ry + sh * (rowsOf - 1 - i)) * kw + (rx + sw * (colsOf - 1 - j))) * ci * co;
      const d0 = (i * colsOf + j) * co * ci;
      for (let a = 0; a < ci; a++) {
        for (let b = 0; b < co; b++) dst[d0 + b * ci + a] = src[s0 + a * co + b]!;
      }
    }
  }
  return out;
}

/**
 * Input gradient of a strided convolution, phase by phase: the input pixels whose row and column
 * have one residue modulo the stride receive gradient from one subset of the taps, through a
 * stride-1 convolution of dy with that subset. Convolving the zero-spread dy with the whole filter
 * instead multiplies the zeros too: stride² times the work.
 */
function stridedInputGradient(backend: WasmBackend, dy: TensorInfo, filter: TensorInfo, g: ForwardConv): TensorInfo {
  const [n, h, w, ci] = [g.batch, g.inH, g.inW, g.inC];
  const out = backend.makeOutput([n, h, w, ci], 'float32');
  // Phases no tap reaches stay zero.
  f32(backend, out).fill(0);
  for (let ry = 0; ry < g.strideH; ry++) {
    for (let rx = 0; rx < g.strideW; rx++) {
      const taps = phaseFilter(backend, filter, ry, rx, g.strideH, g.strideW);
      if (!taps) continue;
      const [rowsOf, colsOf] = taps.shape as [number, number];
      // This phase's input rows are u·sh + ry − padTop for u in [u0, u0 + U).
      const u0 = Math.ceil((g.padTop - ry) / g.strideH);
      const v0 = Math.ceil((g.padLeft - rx) / g.strideW);
      const rows = Math.floor((h - 1 + g.padTop - ry) / g.strideH) - u0 + 1;
      const cols = Math.floor((w - 1 + g.padLeft - rx) / g.strideW) - v0 + 1;
      if (rows <= 0 || cols <= 0) {
        release(backend, taps);
        continue;
      }
      const top = rowsOf - 1 - u0;
      const left = colsOf - 1 - v0;
      const borders = { top, left, bottom: rows - g.outH - top + rowsOf - 1, right: cols - g.outW - left + colsOf - 1 };
      const plain = borders.top >= 0 && borders.bottom >= 0 && borders.left >= 0 && borders.right >= 0;
      // XNNPACK pads but cannot crop: a negative border becomes a cropped copy of dy.
      const grid = plain ? dy : spread(backend, dy, { strideH: 1, strideW: 1, ...borders });
      const phase = runWasmKernel(backend, 'Conv2D', { x: grid, filter: taps }, {
        strides: [1, 1], dilations: [1, 1], dataFormat: 'NHWC',
        pad: explicitPad(plain ? borders : { top: 0, bottom: 0, left: 0, right: 0 }),
      } as unknown as NamedAttrMap);
      const dst = f32(backend, out);
      const src = f32(backend, phase);
      for (let b = 0; b < n; b++) {
        for (let t = 0; t < rows; t++) {
          const iy = (u0 + t) * g.strideH + ry - g.padTop;
          for (let q = 0; q < cols; q++) {
            const ix = (v0 + q) * g.strideW + rx - g.padLeft;
            // An element loop: subarray + set per pixel costs more than the copy for few channels.
            const from = ((b * rows + t) * cols + q) * ci;
            const to = ((b * h + iy) * w + ix) * ci;
            for (let k = 0; k < ci; k++) dst[to + k] = src[from + k]!;
          }
        }
      }
      release(backend, taps, phase);
      if (!plain) release(backend, grid);
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
  if (g.strideH > 1 || g.strideW > 1) return stridedInputGradient(backend, dy, filter, g);
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
