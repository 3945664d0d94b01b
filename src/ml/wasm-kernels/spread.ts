/**
 * Spreading an NHWC tensor onto a larger zero grid: inserting `stride - 1` zeros between rows and
 * columns and adding (or, when negative, cutting) borders. Gradients of strided convolutions become plain stride-1 convolutions over such a grid,
 * which is what XNNPACK runs fast.
 */
import type { TensorInfo } from '@tensorflow/tfjs';
import { f32, type WasmBackend } from './wasm-backend.js';

export interface Spread {
  strideH: number;
  strideW: number;
  /** Zero rows/columns added before and after; negative values cut that many from the grid. */
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** True when the spread would only add non-negative borders: XNNPACK's explicit padding does that. */
export function isPlainPadding(s: Spread): boolean {
  return (
    s.strideH === 1 && s.strideW === 1 &&
    s.top >= 0 && s.bottom >= 0 && s.left >= 0 && s.right >= 0
  );
}

export function spread(backend: WasmBackend, x: TensorInfo, s: Spread): TensorInfo {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const outH = (h - 1) * s.strideH + 1 + s.top + s.bottom;
  const outW = (w - 1) * s.strideW + 1 + s.left + s.right;
  const out = backend.makeOutput([n, outH, outW, c], 'float32');
  const dst = f32(backend, out);
  const src = f32(backend, x);
  dst.fill(0);
  const rowStride = outW * c;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < h; i++) {
      const oi = s.top + i * s.strideH;
      if (oi < 0 || oi >= outH) continue;
      const srcRow = (b * h + i) * w * c;
      const dstRow = (b * outH + oi) * rowStride;
      for (let j = 0; j < w; j++) {
        const oj = s.left + j * s.strideW;
        if (oj < 0 || oj >= outW) continue;
        const so = srcRow + j * c;
        const d0 = dstRow + oj * c;
        for (let k = 0; k < c; k++) dst[d0 + k] = src[so + k]!;
      }
    }
  }
  return out;
}
