/**
 * Multinomial logistic regression with an L2 penalty, fit by L-BFGS in plain JavaScript (the
 * problems here are a few thousand rows by a few hundred inputs: TensorFlow.js would only add
 * start-up time). Two structures:
 * - full: every class logit sees every input (weights D × C);
 * - diagonal: inputs come in C-wide blocks (one block per ensemble member) and class c's logit
 *   sees only column c of each block (weights blocks × C), the stacking model that stays small
 *   when there are many classes.
 * The penalty pulls the weights towards an anchor (zero, or e.g. the plain average of the
 * members), so a strong penalty falls back to a known-good model instead of to a constant.
 */
import { minimizeLbfgs } from './lbfgs.js';

export type RegressionStructure = 'full' | 'diagonal';

export interface SoftmaxRegression {
  structure: RegressionStructure;
  dims: number;
  classes: number;
  /** full: D × C row-major; diagonal: (D / C) × C. */
  weights: Float64Array;
  bias: Float64Array;
  /** L-BFGS iterations the fit took. */
  iterations: number;
}

export interface SoftmaxRegressionData {
  /** rows × dims, row-major. */
  x: Float32Array | Float64Array;
  rows: number;
  dims: number;
  /** 0..classes−1 for every row. */
  labels: Int32Array;
  classes: number;
  /** Per-row loss weights (mean 1); default all 1. */
  rowWeights?: Float64Array;
}

export interface SoftmaxRegressionOptions {
  structure: RegressionStructure;
  l2: number;
  iterations: number;
  /** Weights the penalty pulls towards (default 0); also the starting point. */
  anchor?: Float64Array;
  onIteration?: (iteration: number, loss: number) => boolean | void;
}

function weightCount(structure: RegressionStructure, dims: number, classes: number): number {
  if (structure === 'diagonal' && dims % classes !== 0) throw new Error(`diagonal structure needs dims (${dims}) to be a multiple of classes (${classes})`);
  return structure === 'full' ? dims * classes : dims;
}

/** Adds the logits of row i (length C) into out. */
function rowLogits(model: SoftmaxRegression, x: Float32Array | Float64Array, i: number, out: Float64Array): void {
  const { dims: D, classes: C, weights: W } = model;
  out.set(model.bias);
  const o = i * D;
  if (model.structure === 'full') {
    for (let d = 0; d < D; d++) {
      const xd = x[o + d]!;
      if (xd === 0) continue;
      const wo = d * C;
      for (let c = 0; c < C; c++) out[c]! += xd * W[wo + c]!;
    }
  } else {
    for (let b = 0; b < D; b += C) for (let c = 0; c < C; c++) out[c]! += x[o + b + c]! * W[b + c]!;
  }
}

export function predictLogits(model: SoftmaxRegression, x: Float32Array | Float64Array, rows: number): Float32Array {
  const C = model.classes;
  const out = new Float32Array(rows * C);
  const row = new Float64Array(C);
  for (let i = 0; i < rows; i++) {
    rowLogits(model, x, i, row);
    out.set(row, i * C);
  }
  return out;
}

export function fitSoftmaxRegression(data: SoftmaxRegressionData, opts: SoftmaxRegressionOptions): SoftmaxRegression {
  const { x, rows: N, dims: D, labels, classes: C } = data;
  const nw = weightCount(opts.structure, D, C);
  const anchor = opts.anchor ?? new Float64Array(nw);
  if (anchor.length !== nw) throw new Error(`anchor has ${anchor.length} weights, expected ${nw}`);
  const theta0 = new Float64Array(nw + C);
  theta0.set(anchor);
  const model: SoftmaxRegression = { structure: opts.structure, dims: D, classes: C, weights: new Float64Array(nw), bias: new Float64Array(C), iterations: 0 };
  const logits = new Float64Array(C);
  const expd = new Float64Array(C);
  const objective = (theta: Float64Array, grad: Float64Array): number => {
    model.weights = theta.subarray(0, nw);
    model.bias = theta.subarray(nw);
    grad.fill(0);
    const gW = grad.subarray(0, nw);
    const gb = grad.subarray(nw);
    let loss = 0;
    for (let i = 0; i < N; i++) {
      rowLogits(model, x, i, logits);
      let max = -Infinity;
      for (let c = 0; c < C; c++) if (logits[c]! > max) max = logits[c]!;
      let z = 0;
      for (let c = 0; c < C; c++) {
        expd[c] = Math.exp(logits[c]! - max);
        z += expd[c]!;
      }
      const y = labels[i]!;
      const wi = data.rowWeights ? data.rowWeights[i]! : 1;
      loss += wi * (Math.log(z) + max - logits[y]!);
      // logits becomes dLoss/dlogits = softmax − onehot, weighted and scaled by 1/N.
      for (let c = 0; c < C; c++) logits[c] = (wi * (expd[c]! / z - (c === y ? 1 : 0))) / N;
      for (let c = 0; c < C; c++) gb[c]! += logits[c]!;
      const o = i * D;
      if (opts.structure === 'full') {
        for (let d = 0; d < D; d++) {
          const xd = x[o + d]!;
          if (xd === 0) continue;
          const wo = d * C;
          for (let c = 0; c < C; c++) gW[wo + c]! += xd * logits[c]!;
        }
      } else {
        for (let b = 0; b < D; b += C) for (let c = 0; c < C; c++) gW[b + c]! += x[o + b + c]! * logits[c]!;
      }
    }
    loss /= N;
    for (let k = 0; k < nw; k++) {
      const diff = theta[k]! - anchor[k]!;
      loss += 0.5 * opts.l2 * diff * diff;
      gW[k]! += opts.l2 * diff;
    }
    return loss;
  };
  // A relative improvement below 1e-7 no longer changes a prediction that matters.
  const result = minimizeLbfgs(objective, theta0, { iterations: opts.iterations, tolerance: 1e-7, ...(opts.onIteration ? { onIteration: opts.onIteration } : {}) });
  return {
    structure: opts.structure,
    dims: D,
    classes: C,
    weights: Float64Array.from(result.x.subarray(0, nw)),
    bias: Float64Array.from(result.x.subarray(nw)),
    iterations: result.iterations,
  };
}
