/**
 * Histogram gradient-boosted decision trees for multiclass classification (softmax loss), in
 * plain TypeScript. Why not a library: of the npm packages, ml-xgboost is a 2018 emscripten build
 * of an old XGBoost that is no longer maintained, and decision-tree's multiclass boosting fits
 * trees to zero gradients on JavaScript objects; none fits (docs/ensembles.md).
 *
 * Method (as LightGBM / XGBoost's `hist`): every feature is cut into at most `bins` quantile bins
 * once; each round computes softmax probabilities p of the current scores, and for every class k
 * grows one depth-limited regression tree on gradient g = p_k − y_k and hessian h = p_k(1 − p_k),
 * choosing splits by the second-order gain G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ) over per-node
 * histograms; a leaf predicts the Newton step −G/(H+λ), shrunk by the learning rate. Rows are
 * subsampled per round and features per tree, from a seeded stream, so a fit is deterministic.
 */
import { SeededRng } from '../data/rng.js';

export interface GbdtOptions {
  rounds: number;
  learningRate: number;
  maxDepth: number;
  /** At most 256: bin indices are stored as bytes. */
  bins: number;
  /** Share of training rows each round's trees see. */
  subsample: number;
  /** Share of features each tree may split on. */
  colsample: number;
  /** L2 penalty on leaf values (λ). */
  lambda: number;
  /** Least summed hessian in a child of a split. */
  minChildWeight: number;
  seed: number;
  /**
   * Called before each round with the training loss so far; return true to stop (e.g. on abort).
   * The fit yields to the event loop after each call, so progress reaches the engine and a cancel
   * can arrive.
   */
  onRound?: (round: number, trainLoss: number) => boolean | void;
}

/** A tree in flat arrays; node 0 is the root; a leaf has feature −1. */
export interface Tree {
  feature: Int32Array;
  /** Rows whose bin is ≤ threshold go left. */
  threshold: Int32Array;
  left: Int32Array;
  right: Int32Array;
  /** Leaf value, already multiplied by the learning rate. */
  value: Float64Array;
}

export interface GbdtModel {
  dims: number;
  classes: number;
  /** Per feature, ascending cut points: bin(x) = number of cut points below x. */
  cuts: Float64Array[];
  /** Initial score per class: log of the (smoothed) training class frequency. */
  base: Float64Array;
  /** trees[round][class]. */
  trees: Tree[][];
}

export interface GbdtData {
  x: Float32Array;
  rows: number;
  dims: number;
  /** −1 rows are ignored. */
  labels: Int32Array;
  classes: number;
}

function quantileCuts(values: Float64Array, bins: number): Float64Array {
  const sorted = Float64Array.from(values).sort();
  const cuts: number[] = [];
  for (let b = 1; b < bins; b++) {
    const v = sorted[Math.floor((b * sorted.length) / bins)]!;
    // A cut at the largest value would leave its bin empty.
    if (v < sorted[sorted.length - 1]! && (cuts.length === 0 || v > cuts[cuts.length - 1]!)) cuts.push(v);
  }
  return Float64Array.from(cuts);
}

function binOf(cuts: Float64Array, x: number): number {
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x <= cuts[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Feature-major bin indices (dims × rows). */
function binMatrix(x: Float32Array, rows: number, dims: number, cuts: Float64Array[]): Uint8Array {
  const b = new Uint8Array(dims * rows);
  for (let f = 0; f < dims; f++) for (let r = 0; r < rows; r++) b[f * rows + r] = binOf(cuts[f]!, x[r * dims + f]!);
  return b;
}

function treeValue(t: Tree, bins: Uint8Array, rows: number, r: number): number {
  let n = 0;
  while (t.feature[n]! >= 0) n = bins[t.feature[n]! * rows + r]! <= t.threshold[n]! ? t.left[n]! : t.right[n]!;
  return t.value[n]!;
}

interface GrowContext {
  bins: Uint8Array;
  rows: number;
  nbins: Int32Array;
  g: Float64Array;
  h: Float64Array;
  opts: GbdtOptions;
}

/**
 * Gradient and hessian sums per (sampled feature, bin) of a node's rows, flat: the entries of
 * feature k start at offsets[k]; G at 2·i, H at 2·i + 1.
 */
function histogram(ctx: GrowContext, features: number[], offsets: Int32Array, nodeRows: Int32Array): Float64Array {
  const { g, h, bins, rows: N } = ctx;
  const hist = new Float64Array(2 * offsets[features.length]!);
  for (let k = 0; k < features.length; k++) {
    const col = features[k]! * N;
    const base = 2 * offsets[k]!;
    for (let i = 0; i < nodeRows.length; i++) {
      const r = nodeRows[i]!;
      const at = base + 2 * bins[col + r]!;
      hist[at]! += g[r]!;
      hist[at + 1]! += h[r]!;
    }
  }
  return hist;
}

function growTree(ctx: GrowContext, sampleRows: Int32Array, features: number[]): Tree {
  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const value: number[] = [];
  const { g, h, bins, rows: N, opts } = ctx;
  const offsets = new Int32Array(features.length + 1);
  features.forEach((f, k) => (offsets[k + 1] = offsets[k]! + ctx.nbins[f]!));
  /** `hist` is the node's histogram when it may be split (below maxDepth), else undefined. */
  const grow = (nodeRows: Int32Array, depth: number, hist: Float64Array | undefined): number => {
    const id = feature.length;
    feature.push(-1);
    threshold.push(0);
    left.push(-1);
    right.push(-1);
    let G = 0;
    let H = 0;
    for (let i = 0; i < nodeRows.length; i++) {
      G += g[nodeRows[i]!]!;
      H += h[nodeRows[i]!]!;
    }
    value.push((-G / (H + opts.lambda)) * opts.learningRate);
    if (!hist || nodeRows.length < 2 || H < 2 * opts.minChildWeight) return id;
    const parentScore = (G * G) / (H + opts.lambda);
    let bestGain = 1e-12;
    let bestFeature = -1;
    let bestBin = -1;
    for (let k = 0; k < features.length; k++) {
      const nb = offsets[k + 1]! - offsets[k]!;
      const base = 2 * offsets[k]!;
      let gl = 0;
      let hl = 0;
      for (let b = 0; b < nb - 1; b++) {
        gl += hist[base + 2 * b]!;
        hl += hist[base + 2 * b + 1]!;
        const hr = H - hl;
        if (hl < opts.minChildWeight || hr < opts.minChildWeight) continue;
        const gr = G - gl;
        const gain = (gl * gl) / (hl + opts.lambda) + (gr * gr) / (hr + opts.lambda) - parentScore;
        if (gain > bestGain) {
          bestGain = gain;
          bestFeature = features[k]!;
          bestBin = b;
        }
      }
    }
    if (bestFeature < 0) return id;
    const col = bestFeature * N;
    let nl = 0;
    for (let i = 0; i < nodeRows.length; i++) if (bins[col + nodeRows[i]!]! <= bestBin) nl++;
    const lrows = new Int32Array(nl);
    const rrows = new Int32Array(nodeRows.length - nl);
    let li = 0;
    let ri = 0;
    for (let i = 0; i < nodeRows.length; i++) {
      const r = nodeRows[i]!;
      if (bins[col + r]! <= bestBin) lrows[li++] = r;
      else rrows[ri++] = r;
    }
    // The children's histograms, when they may split: the smaller child's counted, the larger's
    // by subtraction from this node's (LightGBM's trick), which halves the counting below the root.
    let lhist: Float64Array | undefined;
    let rhist: Float64Array | undefined;
    if (depth + 1 < opts.maxDepth) {
      const smallIsLeft = lrows.length <= rrows.length;
      const small = histogram(ctx, features, offsets, smallIsLeft ? lrows : rrows);
      const large = Float64Array.from(hist, (v, i) => v - small[i]!);
      [lhist, rhist] = smallIsLeft ? [small, large] : [large, small];
    }
    feature[id] = bestFeature;
    threshold[id] = bestBin;
    left[id] = grow(lrows, depth + 1, lhist);
    right[id] = grow(rrows, depth + 1, rhist);
    return id;
  };
  grow(sampleRows, 0, opts.maxDepth > 0 ? histogram(ctx, features, offsets, sampleRows) : undefined);
  return {
    feature: Int32Array.from(feature),
    threshold: Int32Array.from(threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    value: Float64Array.from(value),
  };
}

export async function fitGbdt(data: GbdtData, opts: GbdtOptions): Promise<GbdtModel> {
  if (opts.bins < 2 || opts.bins > 256) throw new Error('bins must be in 2..256');
  const { rows: N, dims: D, classes: C } = data;
  const labeledIds = Int32Array.from({ length: N }, (_, r) => r).filter((r) => data.labels[r]! >= 0);
  const n = labeledIds.length;
  // Only labeled rows take part: gather them so row ids run 0..n−1.
  const x = new Float32Array(n * D);
  labeledIds.forEach((r, i) => x.set(data.x.subarray(r * D, (r + 1) * D), i * D));
  const y = Int32Array.from(labeledIds, (r) => data.labels[r]!);
  const cuts = Array.from({ length: D }, (_, f) => quantileCuts(Float64Array.from({ length: n }, (_, r) => x[r * D + f]!), opts.bins));
  const bins = binMatrix(x, n, D, cuts);
  const nbins = Int32Array.from(cuts, (c) => c.length + 1);
  const counts = new Float64Array(C);
  for (const l of y) counts[l]!++;
  const base = Float64Array.from(counts, (k) => Math.log((k + 1) / (n + C)));
  const score = new Float64Array(n * C);
  for (let r = 0; r < n; r++) score.set(base, r * C);
  const prob = new Float64Array(n * C);
  const g = new Float64Array(n);
  const h = new Float64Array(n);
  const rng = new SeededRng(opts.seed);
  const trees: Tree[][] = [];
  const featureCount = Math.max(1, Math.round(opts.colsample * D));
  for (let round = 0; round < opts.rounds; round++) {
    let loss = 0;
    for (let r = 0; r < n; r++) {
      const o = r * C;
      let max = -Infinity;
      for (let c = 0; c < C; c++) max = Math.max(max, score[o + c]!);
      let z = 0;
      for (let c = 0; c < C; c++) z += Math.exp(score[o + c]! - max);
      for (let c = 0; c < C; c++) prob[o + c] = Math.exp(score[o + c]! - max) / z;
      loss -= Math.log(Math.max(prob[o + y[r]!]!, 1e-300));
    }
    if (opts.onRound) {
      if (opts.onRound(round, loss / n)) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    const roundRng = rng.fork(round);
    const sample = opts.subsample >= 1 ? Int32Array.from({ length: n }, (_, r) => r) : Int32Array.from({ length: n }, (_, r) => r).filter(() => roundRng.next() < opts.subsample);
    const roundTrees: Tree[] = [];
    for (let c = 0; c < C; c++) {
      for (let r = 0; r < n; r++) {
        const p = prob[r * C + c]!;
        g[r] = p - (y[r] === c ? 1 : 0);
        h[r] = Math.max(p * (1 - p), 1e-6);
      }
      const features = featureCount >= D ? Array.from({ length: D }, (_, f) => f) : roundRng.permutation(D).slice(0, featureCount).sort((a, b) => a - b);
      const tree = growTree({ bins, rows: n, nbins, g, h, opts }, sample, features);
      roundTrees.push(tree);
      for (let r = 0; r < n; r++) score[r * C + c]! += treeValue(tree, bins, n, r);
    }
    trees.push(roundTrees);
  }
  return { dims: D, classes: C, cuts, base, trees };
}

export function gbdtLogits(model: GbdtModel, x: Float32Array, rows: number): Float32Array {
  const { dims: D, classes: C } = model;
  const bins = binMatrix(x, rows, D, model.cuts);
  const out = new Float32Array(rows * C);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < C; c++) {
      let s = model.base[c]!;
      for (const round of model.trees) s += treeValue(round[c]!, bins, rows, r);
      out[r * C + c] = s;
    }
  }
  return out;
}
