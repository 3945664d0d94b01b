/**
 * Which unlabeled rows become pseudo-labelled training rows, and with which class: by a confidence
 * threshold (the winning recipe: top probability ≥ 0.4), or class-balanced — the k most confident
 * rows of each predicted class — so that head classes cannot swamp the pseudo-labels.
 */
import { argmaxRow } from '../ensemble/probability.js';

export type SelectionMode = 'threshold' | 'balanced-topk';

export interface SelectionOptions {
  mode: SelectionMode;
  /** Rows whose top probability is below this are never selected (in both modes). */
  threshold: number;
  /** balanced-topk: at most this many rows per class. */
  k?: number;
}

export interface Selection {
  /** Selected rows of the input, ascending. */
  rows: Int32Array;
  /** Pseudo-label (argmax) of each selected row, aligned with `rows`. */
  labels: Int32Array;
  /** Top probability of each selected row, aligned with `rows`. */
  confidence: Float32Array;
  /** Selected rows per class. */
  perClass: number[];
}

export function selectPseudoLabels(probs: Float32Array, rows: number, classes: number, opts: SelectionOptions): Selection {
  // Candidates of each predicted class, most confident first (ties: lower row first, so the choice never depends on sort stability).
  const byClass: { row: number; conf: number }[][] = Array.from({ length: classes }, () => []);
  for (let r = 0; r < rows; r++) {
    const c = argmaxRow(probs, r, classes);
    const conf = probs[r * classes + c]!;
    if (conf >= opts.threshold) byClass[c]!.push({ row: r, conf });
  }
  const chosen: { row: number; conf: number; label: number }[] = [];
  byClass.forEach((list, c) => {
    if (opts.mode === 'balanced-topk') list.sort((a, b) => b.conf - a.conf || a.row - b.row);
    const take = opts.mode === 'balanced-topk' ? list.slice(0, opts.k ?? list.length) : list;
    for (const x of take) chosen.push({ ...x, label: c });
  });
  chosen.sort((a, b) => a.row - b.row);
  const perClass = new Array<number>(classes).fill(0);
  for (const x of chosen) perClass[x.label]!++;
  return {
    rows: Int32Array.from(chosen, (x) => x.row),
    labels: Int32Array.from(chosen, (x) => x.label),
    confidence: Float32Array.from(chosen, (x) => x.conf),
    perClass,
  };
}

/** Gathers the given rows of a (rows × width) matrix. */
export function gatherRows<T extends Float32Array | Uint8Array>(m: T, width: number, rows: Int32Array): T {
  const out = new (m.constructor as new (n: number) => T)(rows.length * width);
  rows.forEach((r, i) => out.set(m.subarray(r * width, (r + 1) * width), i * width));
  return out;
}

/** One-hot rows of the given labels. */
export function oneHot(labels: Int32Array, classes: number): Float32Array {
  const out = new Float32Array(labels.length * classes);
  labels.forEach((l, i) => {
    out[i * classes + l] = 1;
  });
  return out;
}
