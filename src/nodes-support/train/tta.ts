/**
 * Test-time augmentation views for predict/classifier: a mirror and/or an integer pixel shift per
 * view. Integer shifts (pad + crop) and flips are exact on every backend, so the averaged
 * predictions do not depend on an interpolation kernel.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { z } from 'zod';

export const ttaViewSchema = z.strictObject({
  /** Mirror left–right. */
  flip: z.boolean().default(false),
  /** Shift right (negative: left) by this many pixels; vacated pixels are background (0). */
  dx: z.int().default(0),
  /** Shift down (negative: up). */
  dy: z.int().default(0),
});
export type TtaView = z.output<typeof ttaViewSchema>;

export function describeView(v: TtaView): string {
  const parts = [v.flip ? 'flip' : '', v.dx || v.dy ? `shift(${v.dx},${v.dy})` : ''].filter(Boolean);
  return parts.length ? parts.join('+') : 'identity';
}

/** The per-batch transform of a view, or undefined for the identity. */
export function viewTransform(tf: typeof tfTypes, v: TtaView): ((x: tfTypes.Tensor4D) => tfTypes.Tensor4D) | undefined {
  if (!v.flip && !v.dx && !v.dy) return undefined;
  return (x) => {
    let out = v.flip ? (tf.reverse(x, 2) as tfTypes.Tensor4D) : x;
    if (v.dx || v.dy) {
      const [, h, w] = out.shape;
      const padded = tf.pad(out, [[0, 0], [Math.max(v.dy, 0), Math.max(-v.dy, 0)], [Math.max(v.dx, 0), Math.max(-v.dx, 0)], [0, 0]]);
      out = tf.slice(padded, [0, Math.max(-v.dy, 0), Math.max(-v.dx, 0), 0], [-1, h, w, -1]) as tfTypes.Tensor4D;
    }
    return out;
  };
}
