/**
 * Geometry shared by the convolution gradient kernels: the forward convolution's padding and output
 * size, recomputed with TensorFlow.js's own rules so the gradients agree with every other backend.
 */
import { backend_util } from '@tensorflow/tfjs';

export type PadAttr = 'valid' | 'same' | number | backend_util.ExplicitPadding;

export interface ForwardConv {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  filterH: number;
  filterW: number;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  padTop: number;
  padLeft: number;
}

export function forwardConv(
  inShape: number[],
  filterShape: number[],
  strides: number | [number, number],
  dilations: number | [number, number] | undefined,
  pad: PadAttr,
  dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined,
  depthwise: boolean,
): ForwardConv {
  const info = backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations ?? 1,
    pad,
    dimRoundingMode,
    depthwise,
  );
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    filterH: info.filterHeight,
    filterW: info.filterWidth,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    dilationH: info.dilationHeight,
    dilationW: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/**
 * Borders of the grid over which the input gradient is a stride-1 correlation of the zero-spread
 * output gradient with the flipped filter: the spread gradient spans (out-1)*stride+1 cells and the
 * result must span the forward input exactly.
 */
export function inputGradientBorders(g: ForwardConv): { top: number; bottom: number; left: number; right: number } {
  const effH = (g.filterH - 1) * g.dilationH + 1;
  const effW = (g.filterW - 1) * g.dilationW + 1;
  const spreadH = (g.outH - 1) * g.strideH + 1;
  const spreadW = (g.outW - 1) * g.strideW + 1;
  const top = effH - 1 - g.padTop;
  const left = effW - 1 - g.padLeft;
  return { top, bottom: g.inH - spreadH - top + effH - 1, left, right: g.inW - spreadW - left + effW - 1 };
}

export function explicitPad(b: { top: number; bottom: number; left: number; right: number }): backend_util.ExplicitPadding {
  return [[0, 0], [b.top, b.bottom], [b.left, b.right], [0, 0]];
}
