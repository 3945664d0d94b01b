/**
 * In-memory image sets as the training loop consumes them, and batch assembly from them.
 * Images stay in their compact typed array (uint8 for drawings) until a batch is gathered.
 */
import { NodeUserError } from '../../exec/node-contract.js';

export interface ImageSet {
  /** NHWC pixels, row-major. Uint8 is scaled to [0, 1] by 1/255; Float32 is used as is. */
  images: Float32Array | Uint8Array;
  /** [height, width, channels] of one image. */
  imageShape: [number, number, number];
  /** Hard labels 0..C-1, one per image. */
  labels?: Int32Array | Uint8Array | Uint16Array | number[];
  /**
   * Soft targets, [N, C] row-major, rows summing to 1 (a teacher's probabilities, pseudo-labels).
   * When present they are the training targets and labels only serve accuracy.
   */
  targets?: Float32Array;
  /** Per-image loss weights. */
  sampleWeights?: Float32Array;
}

/**
 * The rows one epoch visits, repeats allowed (oversampling a class = listing its rows more often):
 * one list for every epoch, or a function of the 0-based epoch (a plan resampled per epoch). Every
 * epoch must list the same number of rows. The loop shuffles each epoch's rows.
 */
export type EpochPlan = Int32Array | number[] | ((epoch: number) => ArrayLike<number>);

export interface TrainingSet extends ImageSet {
  /** Default: every row once per epoch. */
  plan?: EpochPlan;
}

/** Checks an image set against the model and returns its image count. */
export function checkImageSet(set: ImageSet, what: string, numClasses: number, inputShape: readonly number[]): number {
  const [h, w, c] = set.imageShape;
  if (set.imageShape.length !== 3 || h !== inputShape[0] || w !== inputShape[1] || c !== inputShape[2]) {
    throw new NodeUserError(`${what}: images are ${set.imageShape.join('×')} but the model takes ${inputShape.join('×')}`);
  }
  const pixels = h * w * c;
  if (set.images.length % pixels !== 0) {
    throw new NodeUserError(`${what}: ${set.images.length} pixel values are not a whole number of ${h}×${w}×${c} images`);
  }
  const n = set.images.length / pixels;
  if (set.labels) {
    if (set.labels.length !== n) throw new NodeUserError(`${what}: ${set.labels.length} labels for ${n} images`);
    for (let i = 0; i < n; i++) {
      const y = set.labels[i]!;
      if (!Number.isInteger(y) || y < 0 || y >= numClasses) {
        throw new NodeUserError(`${what}: label ${y} of image ${i} is outside 0..${numClasses - 1}`);
      }
    }
  }
  if (set.targets && set.targets.length !== n * numClasses) {
    throw new NodeUserError(`${what}: soft targets hold ${set.targets.length / numClasses} rows of ${numClasses} classes for ${n} images`);
  }
  if (!set.labels && !set.targets) throw new NodeUserError(`${what}: needs labels or soft targets`);
  if (set.sampleWeights && set.sampleWeights.length !== n) {
    throw new NodeUserError(`${what}: ${set.sampleWeights.length} sample weights for ${n} images`);
  }
  return n;
}

/** The rows of one epoch, before shuffling, checked against the set's size. */
export function epochRows(set: TrainingSet, n: number, epoch: number): Int32Array {
  if (!set.plan) return Int32Array.from({ length: n }, (_, i) => i);
  const rows = Int32Array.from(typeof set.plan === 'function' ? set.plan(epoch) : set.plan);
  if (rows.length === 0) throw new NodeUserError(`training plan: epoch ${epoch + 1} lists no rows`);
  for (const r of rows) {
    if (!(r >= 0 && r < n)) throw new NodeUserError(`training plan: row ${r} of epoch ${epoch + 1} is outside 0..${n - 1}`);
  }
  return rows;
}

export function gatherImages(set: ImageSet, rows: ArrayLike<number>): Float32Array {
  const [h, w, c] = set.imageShape;
  const pixels = h * w * c;
  const out = new Float32Array(rows.length * pixels);
  const scale = set.images instanceof Uint8Array ? 1 / 255 : 1;
  for (let i = 0; i < rows.length; i++) {
    const src = rows[i]! * pixels;
    const dst = i * pixels;
    if (scale === 1) out.set(set.images.subarray(src, src + pixels), dst);
    else for (let p = 0; p < pixels; p++) out[dst + p] = set.images[src + p]! * scale;
  }
  return out;
}

/** Target rows [rows.length, C]: the soft targets when present, else one-hot labels. */
export function gatherTargets(set: ImageSet, rows: ArrayLike<number>, numClasses: number): Float32Array {
  const out = new Float32Array(rows.length * numClasses);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (set.targets) out.set(set.targets.subarray(r * numClasses, (r + 1) * numClasses), i * numClasses);
    else out[i * numClasses + set.labels![r]!] = 1;
  }
  return out;
}

export function gatherWeights(set: ImageSet, rows: ArrayLike<number>): Float32Array | undefined {
  if (!set.sampleWeights) return undefined;
  return Float32Array.from(rows, (r) => set.sampleWeights![r]!);
}

/** Target mass per class over the rows of an epoch (class counts for hard labels). */
export function classMass(set: ImageSet, rows: ArrayLike<number>, numClasses: number): Float64Array {
  const mass = new Float64Array(numClasses);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (set.targets) for (let c = 0; c < numClasses; c++) mass[c]! += set.targets[r * numClasses + c]!;
    else mass[set.labels![r]!]! += 1;
  }
  return mass;
}
