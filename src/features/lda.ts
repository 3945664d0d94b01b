/**
 * Linear discriminant analysis with shrinkage: Gaussian classes sharing one covariance Σ, so the
 * class score is linear, xᵀΣ⁻¹μ_c − ½μ_cᵀΣ⁻¹μ_c + log π_c. Σ is the pooled within-class covariance
 * shrunk towards a scaled identity, (1 − α)·S + α·(tr S / D)·I: embeddings have more dimensions
 * than a tail class has rows, and pixels include constant ones, so S alone is often singular.
 * α = 'auto' is the Ledoit–Wolf estimate (the formula scikit-learn's ledoit_wolf_shrinkage uses).
 */
import type { Features } from '../artifacts/predictions.js';
import { NodeUserError } from '../exec/node-contract.js';
import { cholesky, choleskySolve } from './cholesky.js';

export interface LdaOptions {
  shrinkage: number | 'auto';
  /** train: class frequencies of the training rows; uniform: every class alike (a balanced test set). */
  prior: 'train' | 'uniform';
}

export interface LdaModel {
  dims: number;
  classes: number;
  /** dims × classes: Σ⁻¹μ_c per column. */
  weights: Float64Array;
  bias: Float64Array;
  shrinkage: number;
  counts: number[];
}

/** Score of a class without training rows: finite so that softmax gives it 0 without NaNs. */
const NO_CLASS_SCORE = -1e9;

/** Ledoit–Wolf shrinkage of the covariance of rows x (already centred), n × d row-major. */
export function ledoitWolfShrinkage(x: Float64Array, n: number, d: number, cov: Float64Array): number {
  let trace = 0;
  for (let i = 0; i < d; i++) trace += cov[i * d + i]!;
  const mu = trace / d;
  let beta_ = 0;
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += x[r * d + i]! ** 2;
    beta_ += s * s;
  }
  let delta_ = 0;
  for (const v of cov) delta_ += v * v;
  const beta0 = (beta_ / n - delta_) / (d * n);
  const delta = (delta_ - 2 * mu * trace + d * mu * mu) / d;
  const beta = Math.min(beta0, delta);
  return beta <= 0 || delta <= 0 ? 0 : beta / delta;
}

export function fitLda(train: Features, opts: LdaOptions): LdaModel {
  const { dims: D, rows: N } = train;
  const C = train.classes.length;
  const counts = new Array<number>(C).fill(0);
  const means = new Float64Array(C * D);
  for (let r = 0; r < N; r++) {
    const l = train.labels[r]!;
    if (l < 0) continue;
    counts[l]!++;
    for (let d = 0; d < D; d++) means[l * D + d]! += train.features[r * D + d]!;
  }
  for (let c = 0; c < C; c++) if (counts[c]! > 0) for (let d = 0; d < D; d++) means[c * D + d]! /= counts[c]!;
  const labeled = counts.reduce((a, b) => a + b, 0);
  const present = counts.filter((n) => n > 0).length;
  if (present < 2) throw new NodeUserError(`LDA needs labeled training rows of at least 2 classes, got ${present}`);
  // Within-class residuals, then their covariance (divided by n for Ledoit–Wolf; the pooled
  // estimate's n − K only rescales it, which the shrinkage target's trace absorbs).
  const xc = new Float64Array(labeled * D);
  let k = 0;
  for (let r = 0; r < N; r++) {
    const l = train.labels[r]!;
    if (l < 0) continue;
    for (let d = 0; d < D; d++) xc[k * D + d] = train.features[r * D + d]! - means[l * D + d]!;
    k++;
  }
  const cov = new Float64Array(D * D);
  for (let r = 0; r < labeled; r++) {
    const o = r * D;
    for (let i = 0; i < D; i++) {
      const xi = xc[o + i]!;
      if (xi === 0) continue;
      const ci = i * D;
      for (let j = 0; j <= i; j++) cov[ci + j]! += xi * xc[o + j]!;
    }
  }
  for (let i = 0; i < D; i++) {
    for (let j = 0; j <= i; j++) {
      cov[i * D + j]! /= labeled;
      cov[j * D + i] = cov[i * D + j]!;
    }
  }
  const alpha = opts.shrinkage === 'auto' ? ledoitWolfShrinkage(xc, labeled, D, cov) : opts.shrinkage;
  let trace = 0;
  for (let i = 0; i < D; i++) trace += cov[i * D + i]!;
  const target = trace / D;
  const sigma = Float64Array.from(cov, (v) => (1 - alpha) * v);
  for (let i = 0; i < D; i++) sigma[i * D + i]! += alpha * target;
  const chol = cholesky(sigma, D);
  if (!chol) {
    throw new NodeUserError(`the shrunk within-class covariance (shrinkage ${alpha}) is singular — constant or collinear feature dimensions; use shrinkage 'auto' or a value above 0`);
  }
  // Right-hand sides: the class means as columns (D × C).
  const rhs = new Float64Array(D * C);
  for (let c = 0; c < C; c++) for (let d = 0; d < D; d++) rhs[d * C + c] = means[c * D + d]!;
  const weights = choleskySolve(chol, D, rhs, C);
  const bias = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    if (counts[c] === 0) {
      bias[c] = NO_CLASS_SCORE;
      for (let d = 0; d < D; d++) weights[d * C + c] = 0;
      continue;
    }
    let quad = 0;
    for (let d = 0; d < D; d++) quad += means[c * D + d]! * weights[d * C + c]!;
    const prior = opts.prior === 'uniform' ? 1 / present : counts[c]! / labeled;
    bias[c] = -0.5 * quad + Math.log(prior);
  }
  return { dims: D, classes: C, weights, bias, shrinkage: alpha, counts };
}

export function ldaLogits(model: LdaModel, f: Features): Float32Array {
  const { dims: D, classes: C } = model;
  const out = new Float32Array(f.rows * C);
  const row = new Float64Array(C);
  for (let r = 0; r < f.rows; r++) {
    row.set(model.bias);
    for (let d = 0; d < D; d++) {
      const x = f.features[r * D + d]!;
      if (x === 0) continue;
      for (let c = 0; c < C; c++) row[c]! += x * model.weights[d * C + c]!;
    }
    out.set(row, r * C);
  }
  return out;
}
