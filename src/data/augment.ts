/**
 * Per-batch image augmentation on the active TensorFlow.js backend: the winner's geometric set
 * (rotation, shift, shear, zoom, horizontal flip) as one projective transform per image through
 * `tf.image.transform` (implemented by every backend), plus mixup and cutmix. All randomness comes
 * from the caller's seeded RNG, so a given seed gives the same batch on any run.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { SeededRng, beta } from './rng.js';

export const augmentSpecSchema = z.object({
  /** Max rotation in degrees; each image turns by U(−r, r). */
  rotation: z.number().min(0).max(180).default(0),
  /** Max shift as a fraction of the width / height. */
  widthShift: z.number().min(0).max(1).default(0),
  heightShift: z.number().min(0).max(1).default(0),
  /** Max shear angle in degrees. */
  shear: z.number().min(0).lt(90).default(0),
  /** Content scale drawn from U(1 − z, 1 + z) per axis; > 1 enlarges the drawing. */
  zoom: z.number().min(0).lt(1).default(0),
  /** Mirror left–right with probability ½. */
  horizontalFlip: z.boolean().default(false),
  interpolation: z.enum(['bilinear', 'nearest']).default('bilinear'),
  /** Value of pixels that come from outside the image (0 = black background). */
  fillValue: z.number().default(0),
});

export type AugmentSpec = z.input<typeof augmentSpecSchema>;
type ResolvedSpec = z.output<typeof augmentSpecSchema>;

/** 2×3 affine map of one image, input → output coordinates (pixel indices). */
export interface Affine {
  a: number; b: number; tx: number;
  c: number; d: number; ty: number;
}

/**
 * Draws one image's transform. Always consumes the same number of random values, so turning one
 * augmentation on or off does not change the draws of the others.
 */
export function sampleAffine(spec: ResolvedSpec, width: number, height: number, rng: SeededRng): Affine {
  const rad = Math.PI / 180;
  const theta = rng.uniform(-1, 1) * spec.rotation * rad;
  const shiftX = rng.uniform(-1, 1) * spec.widthShift * width;
  const shiftY = rng.uniform(-1, 1) * spec.heightShift * height;
  const shear = rng.uniform(-1, 1) * spec.shear * rad;
  const zx = 1 + rng.uniform(-1, 1) * spec.zoom;
  const zy = 1 + rng.uniform(-1, 1) * spec.zoom;
  const flip = rng.next() < 0.5 && spec.horizontalFlip ? -1 : 1;
  // M = R(θ) · Shear(φ) · diag(flip·zx, zy), about the image centre, then shifted.
  const cos = Math.cos(theta), sin = Math.sin(theta), tan = Math.tan(shear);
  const s00 = flip * zx, s11 = zy;
  const m00 = cos * s00, m01 = cos * tan * s11 - sin * s11;
  const m10 = sin * s00, m11 = sin * tan * s11 + cos * s11;
  const cx = (width - 1) / 2, cy = (height - 1) / 2;
  return {
    a: m00, b: m01, tx: cx - m00 * cx - m01 * cy + shiftX,
    c: m10, d: m11, ty: cy - m10 * cx - m11 * cy + shiftY,
  };
}

/** The row tf.image.transform wants: it maps *output* pixels back to input pixels, so the inverse. */
export function inverseTransformRow(m: Affine): number[] {
  const det = m.a * m.d - m.b * m.c;
  const ia = m.d / det, ib = -m.b / det, ic = -m.c / det, id = m.a / det;
  return [ia, ib, -(ia * m.tx + ib * m.ty), ic, id, -(ic * m.tx + id * m.ty), 0, 0];
}

/** Augments a batch (N, H, W, C) of float images; returns a new tensor, the input is kept. */
export function augmentBatch(images: tf.Tensor4D, spec: AugmentSpec, rng: SeededRng): tf.Tensor4D {
  return augmentEach(images, spec, new Array<SeededRng>(images.shape[0]).fill(rng));
}

/** As augmentBatch, with image i's transform drawn from `rngs[i]` (results independent of batching). */
export function augmentEach(images: tf.Tensor4D, spec: AugmentSpec, rngs: readonly SeededRng[]): tf.Tensor4D {
  const resolved = augmentSpecSchema.parse(spec);
  const [n, h, w] = images.shape;
  const rows = new Float32Array(n * 8);
  for (let i = 0; i < n; i++) rows.set(inverseTransformRow(sampleAffine(resolved, w, h, rngs[i]!)), i * 8);
  return tf.tidy(() => {
    const transforms = tf.tensor2d(rows, [n, 8]);
    const apply = (x: tf.Tensor4D, t: tf.Tensor2D) => tf.image.transform(x, t, resolved.interpolation, 'constant', resolved.fillValue);
    if (tf.getBackend() !== 'cpu' || n === 1) return apply(images, transforms);
    // tfjs-backend-cpu 4.22's Transform kernel returns after the first image of a batch (the rest
    // stay at the fill value), so on that backend each image goes through on its own.
    const parts = tf.split(images, n, 0) as tf.Tensor4D[];
    const ts = tf.split(transforms, n, 0) as tf.Tensor2D[];
    return tf.concat(parts.map((x, i) => apply(x, ts[i]!)), 0);
  });
}

export interface MixedBatch {
  images: tf.Tensor4D;
  /** Soft targets (N, classes). */
  labels: tf.Tensor2D;
  /** Weight of each image's own label (per batch for mixup, per image for cutmix). */
  lambda: number[];
  /** The image each one was mixed with. */
  partner: number[];
}

/** mixup (Zhang et al. 2018): x = λ·xᵢ + (1−λ)·xⱼ with one λ ~ Beta(α, α) per batch, j a permutation. */
export function mixup(images: tf.Tensor4D, oneHot: tf.Tensor2D, alpha: number, rng: SeededRng): MixedBatch {
  const n = images.shape[0];
  const lam = alpha > 0 ? beta(rng, alpha, alpha) : 1;
  const partner = rng.permutation(n);
  const perm = tf.tensor1d(partner, 'int32');
  const out = tf.tidy(() => ({
    images: images.mul(lam).add(tf.gather(images, perm).mul(1 - lam)) as tf.Tensor4D,
    labels: oneHot.mul(lam).add(tf.gather(oneHot, perm).mul(1 - lam)) as tf.Tensor2D,
  }));
  perm.dispose();
  return { ...out, lambda: new Array<number>(n).fill(lam), partner };
}

/**
 * cutmix (Yun et al. 2019): each image gets a box from its partner image covering ≈ 1−λ of its
 * area, λ ~ Beta(α, α); labels mix by the box's actual area.
 */
export function cutmix(images: tf.Tensor4D, oneHot: tf.Tensor2D, alpha: number, rng: SeededRng): MixedBatch {
  const [n, h, w, ch] = images.shape;
  const perm = rng.permutation(n);
  const boxes: CutBox[] = [];
  for (let i = 0; i < n; i++) boxes.push({ lambda: alpha > 0 ? beta(rng, alpha, alpha) : 1, cx: rng.int(w), cy: rng.int(h) });
  const { mask, lambda } = cutmixMask(h, w, boxes);
  const out = tf.tidy(() => {
    const m = tf.tensor4d(mask, [n, h, w, 1]).tile([1, 1, 1, ch]) as tf.Tensor4D;
    const partner = tf.gather(images, tf.tensor1d(perm, 'int32'));
    const lam = tf.tensor2d(lambda, [n, 1]);
    return {
      images: images.mul(tf.onesLike(m).sub(m)).add(partner.mul(m)) as tf.Tensor4D,
      labels: oneHot.mul(lam).add(tf.gather(oneHot, tf.tensor1d(perm, 'int32')).mul(tf.onesLike(lam).sub(lam))) as tf.Tensor2D,
    };
  });
  return { ...out, lambda, partner: perm };
}

/** One image's cutmix draw: the requested share λ of its own pixels and the box centre. */
export interface CutBox {
  lambda: number;
  cx: number;
  cy: number;
}

/**
 * The pixels each image takes from its partner (1 inside a box of ≈ (1−λ) of the area centred at
 * (cx, cy), clipped to the image), [n·h·w], and each image's actual own share after clipping.
 */
export function cutmixMask(h: number, w: number, boxes: readonly CutBox[]): { mask: Float32Array; lambda: number[] } {
  const mask = new Float32Array(boxes.length * h * w);
  const lambda = boxes.map(({ lambda: lam, cx, cy }, i) => {
    const cut = Math.sqrt(1 - lam);
    const bw = Math.round(w * cut), bh = Math.round(h * cut);
    const x0 = Math.max(0, cx - (bw >> 1)), x1 = Math.min(w, cx + bw - (bw >> 1));
    const y0 = Math.max(0, cy - (bh >> 1)), y1 = Math.min(h, cy + bh - (bh >> 1));
    for (let y = y0; y < y1; y++) mask.fill(1, i * h * w + y * w + x0, i * h * w + y * w + x1);
    return 1 - ((x1 - x0) * (y1 - y0)) / (w * h);
  });
  return { mask, lambda };
}
