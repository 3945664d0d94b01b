/**
 * Row-wise arithmetic on (rows × classes) score and probability matrices, shared by the ensemble,
 * calibration, few-shot and feature-classifier nodes so that they agree on softmax, argmax ties
 * and how a zero probability becomes a log-probability.
 */
import type { Predictions } from '../artifacts/predictions.js';

/** log(1e-12): a probability that underflowed to 0 in float32 still gets a finite log. */
export const LOG_PROB_FLOOR = Math.log(1e-12);

type Matrix = Float32Array | Float64Array;

/** Numerically stable softmax of each row. */
export function softmaxRows(scores: Matrix, rows: number, classes: number): Float32Array {
  const out = new Float32Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    const o = r * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) if (scores[o + c]! > max) max = scores[o + c]!;
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(scores[o + c]! - max);
    for (let c = 0; c < classes; c++) out[o + c] = Math.exp(scores[o + c]! - max) / sum;
  }
  return out;
}

export function logProbs(probs: Matrix): Float32Array {
  return Float32Array.from(probs, (p) => (p > 0 ? Math.max(Math.log(p), LOG_PROB_FLOOR) : LOG_PROB_FLOOR));
}

/**
 * Scores whose softmax is the member's probabilities: its logits when it has them (no float32
 * underflow), else its log-probabilities. Either differs from the other by a per-row constant,
 * which no softmax of a weighted sum with weights summing to 1 can see.
 */
export function scoresOf(p: Predictions): Float32Array {
  return p.logits ?? logProbs(p.probs);
}

/** Index of the row's largest value; the lowest index wins a tie, so results never depend on luck. */
export function argmaxRow(m: Matrix, row: number, classes: number): number {
  const o = row * classes;
  let best = 0;
  for (let c = 1; c < classes; c++) if (m[o + c]! > m[o + best]!) best = c;
  return best;
}

export function argmaxRows(m: Matrix, rows: number, classes: number): Int32Array {
  return Int32Array.from({ length: rows }, (_, r) => argmaxRow(m, r, classes));
}

export function labeledRows(labels: Int32Array): number {
  let n = 0;
  for (const l of labels) if (l >= 0) n++;
  return n;
}

/** Top-1 accuracy over the labeled rows; undefined when no row is labeled. */
export function accuracy(probs: Matrix, labels: Int32Array, classes: number): number | undefined {
  let right = 0;
  let n = 0;
  for (let r = 0; r < labels.length; r++) {
    if (labels[r]! < 0) continue;
    n++;
    if (argmaxRow(probs, r, classes) === labels[r]) right++;
  }
  return n ? right / n : undefined;
}

/** Mean of the per-class recalls over the classes that have labeled rows. */
export function balancedAccuracy(probs: Matrix, labels: Int32Array, classes: number): number | undefined {
  const seen = new Float64Array(classes);
  const right = new Float64Array(classes);
  for (let r = 0; r < labels.length; r++) {
    const l = labels[r]!;
    if (l < 0) continue;
    seen[l]!++;
    if (argmaxRow(probs, r, classes) === l) right[l]!++;
  }
  let sum = 0;
  let k = 0;
  for (let c = 0; c < classes; c++) if (seen[c]! > 0) { sum += right[c]! / seen[c]!; k++; }
  return k ? sum / k : undefined;
}

/** Mean negative log-likelihood of the true labels over the labeled rows (floored like logProbs). */
export function meanNll(probs: Matrix, labels: Int32Array, classes: number): number | undefined {
  let sum = 0;
  let n = 0;
  for (let r = 0; r < labels.length; r++) {
    const l = labels[r]!;
    if (l < 0) continue;
    const p = probs[r * classes + l]!;
    sum -= p > 0 ? Math.max(Math.log(p), LOG_PROB_FLOOR) : LOG_PROB_FLOOR;
    n++;
  }
  return n ? sum / n : undefined;
}

/** accuracy / balanced_accuracy / nll of labeled predictions, for ctx.metrics; {} when unlabeled. */
export function labeledMetrics(probs: Matrix, labels: Int32Array, classes: number, prefix = ''): Record<string, number> {
  const acc = accuracy(probs, labels, classes);
  if (acc === undefined) return {};
  return {
    [`${prefix}accuracy`]: round(acc),
    [`${prefix}balanced_accuracy`]: round(balancedAccuracy(probs, labels, classes)!),
    [`${prefix}nll`]: round(meanNll(probs, labels, classes)!),
  };
}

export function round(x: number, digits = 6): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Log-probabilities of a predictions artifact: log-softmax of its logits when it has them. */
export function logProbsOf(p: Predictions): Float32Array {
  if (!p.logits) return logProbs(p.probs);
  const C = p.numClasses;
  const out = new Float32Array(p.logits.length);
  for (let r = 0; r < p.rows; r++) {
    const o = r * C;
    let max = -Infinity;
    for (let c = 0; c < C; c++) if (p.logits[o + c]! > max) max = p.logits[o + c]!;
    let z = 0;
    for (let c = 0; c < C; c++) z += Math.exp(p.logits[o + c]! - max);
    const lse = max + Math.log(z);
    for (let c = 0; c < C; c++) out[o + c] = Math.max(p.logits[o + c]! - lse, LOG_PROB_FLOOR);
  }
  return out;
}

/**
 * Per-row weights that make every class with labeled rows count alike (1 / its row count, scaled
 * to mean 1 over the labeled rows; 0 for unlabeled rows). A validation split carved from a
 * long-tailed training set is itself long-tailed; fitting with these weights targets a balanced
 * test set instead (weighted accuracy = balanced accuracy).
 */
export function classBalancedRowWeights(labels: Int32Array, classes: number): Float64Array {
  const counts = new Float64Array(classes);
  for (const l of labels) if (l >= 0) counts[l]!++;
  let present = 0;
  let labeled = 0;
  for (const n of counts) {
    if (n > 0) present++;
    labeled += n;
  }
  return Float64Array.from(labels, (l) => (l >= 0 ? labeled / (present * counts[l]!) : 0));
}
