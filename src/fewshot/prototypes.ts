/**
 * Nearest-class-mean (prototypical) classification on embeddings: a class is the mean of its
 * training embeddings, and a row is scored by its similarity to each class mean. The scores carry
 * no class prior — a tail class with 3 training rows competes on equal terms with a head class —
 * which is why they are used to re-rank a long-tail-biased model's top candidates.
 * With cosine similarity, embeddings are first centred on the training mean and L2-normalised
 * ("CL2N", Wang et al., SimpleShot 2019), which helps nearest-mean classifiers on ReLU features.
 */
import type { Features } from '../artifacts/predictions.js';

export type PrototypeMetric = 'cosine' | 'euclidean';

export interface Prototypes {
  metric: PrototypeMetric;
  dims: number;
  /** Subtracted from every embedding before normalising (cosine with centring); zeros otherwise. */
  centre: Float64Array;
  /** classes × dims; unit length for cosine. */
  means: Float64Array;
  /** Training rows per class; a class with none has no prototype and scores −∞. */
  counts: number[];
}

/** Score of a class without training rows: finite, so softmax gives it 0 without NaNs. */
export const NO_PROTOTYPE_SCORE = -1e9;

function normalizeInPlace(v: Float64Array): void {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n);
  if (n > 0) for (let i = 0; i < v.length; i++) v[i]! /= n;
}

/** Row r of the features as the metric sees it (centred and unit length for cosine). */
function embed(f: Features, r: number, p: { metric: PrototypeMetric; centre: Float64Array }): Float64Array {
  const v = new Float64Array(f.dims);
  for (let d = 0; d < f.dims; d++) v[d] = f.features[r * f.dims + d]! - p.centre[d]!;
  if (p.metric === 'cosine') normalizeInPlace(v);
  return v;
}

export function buildPrototypes(train: Features, metric: PrototypeMetric, centre: boolean): Prototypes {
  const { dims: D, classes } = train;
  const C = classes.length;
  const mean = new Float64Array(D);
  let labeled = 0;
  for (let r = 0; r < train.rows; r++) {
    if (train.labels[r]! < 0) continue;
    labeled++;
    for (let d = 0; d < D; d++) mean[d]! += train.features[r * D + d]!;
  }
  for (let d = 0; d < D; d++) mean[d]! /= Math.max(labeled, 1);
  const p: Prototypes = { metric, dims: D, centre: metric === 'cosine' && centre ? mean : new Float64Array(D), means: new Float64Array(C * D), counts: new Array<number>(C).fill(0) };
  for (let r = 0; r < train.rows; r++) {
    const l = train.labels[r]!;
    if (l < 0) continue;
    const v = embed(train, r, p);
    p.counts[l]!++;
    for (let d = 0; d < D; d++) p.means[l * D + d]! += v[d]!;
  }
  for (let c = 0; c < C; c++) {
    const m = p.means.subarray(c * D, (c + 1) * D);
    if (p.counts[c]! > 0) for (let d = 0; d < D; d++) m[d]! /= p.counts[c]!;
    if (metric === 'cosine') normalizeInPlace(m);
  }
  return p;
}

/** rows × classes: cosine similarity, or minus the squared euclidean distance, divided by temperature. */
export function prototypeScores(p: Prototypes, f: Features, temperature: number): Float32Array {
  const C = p.counts.length;
  const D = p.dims;
  const out = new Float32Array(f.rows * C);
  for (let r = 0; r < f.rows; r++) {
    const v = embed(f, r, p);
    for (let c = 0; c < C; c++) {
      if (p.counts[c] === 0) {
        out[r * C + c] = NO_PROTOTYPE_SCORE;
        continue;
      }
      let s = 0;
      if (p.metric === 'cosine') {
        for (let d = 0; d < D; d++) s += v[d]! * p.means[c * D + d]!;
      } else {
        for (let d = 0; d < D; d++) {
          const diff = v[d]! - p.means[c * D + d]!;
          s -= diff * diff;
        }
      }
      out[r * C + c] = s / temperature;
    }
  }
  return out;
}

/**
 * Re-ranks each row's top-K classes of a model: within them, the model's probabilities
 * (renormalised over the K) are blended with the prototype softmax over the same K, and the result
 * keeps the model's total mass on those K; classes outside the top K keep their probabilities.
 */
export function rerankTopK(modelProbs: Float32Array, protoScores: Float32Array, rows: number, classes: number, k: number, blend: number): Float32Array {
  const out = Float32Array.from(modelProbs);
  const K = Math.min(k, classes);
  const order = Array.from({ length: classes }, (_, c) => c);
  for (let r = 0; r < rows; r++) {
    const o = r * classes;
    // Highest probability first; the lower class index first on a tie.
    const top = order.slice().sort((a, b) => modelProbs[o + b]! - modelProbs[o + a]! || a - b).slice(0, K);
    let mass = 0;
    for (const c of top) mass += modelProbs[o + c]!;
    let max = -Infinity;
    for (const c of top) max = Math.max(max, protoScores[o + c]!);
    let z = 0;
    for (const c of top) z += Math.exp(protoScores[o + c]! - max);
    for (const c of top) {
      const model = mass > 0 ? modelProbs[o + c]! / mass : 1 / K;
      const proto = Math.exp(protoScores[o + c]! - max) / z;
      out[o + c] = mass * ((1 - blend) * model + blend * proto);
    }
  }
  return out;
}
