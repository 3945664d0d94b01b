/**
 * Balancing plans for a long-tailed dataset: which rows to show (indices into the dataset) and how
 * much each row weighs, instead of copies of the images.
 */
import { NodeUserError } from '../exec/node-contract.js';
import { SeededRng } from './rng.js';

/** Row indices of each class (index = label); unlabeled rows (−1) are left out. */
export function rowsByClass(labels: Int32Array, numClasses: number): number[][] {
  const rows = Array.from({ length: numClasses }, () => [] as number[]);
  labels.forEach((l, i) => {
    if (l >= 0) rows[l]!.push(i);
  });
  return rows;
}

/** `k` rows of `rows`: all of them in random order while they last, then draws with replacement. */
function drawRows(rows: readonly number[], k: number, rng: SeededRng): number[] {
  const out: number[] = [];
  while (out.length + rows.length <= k) out.push(...rows);
  const rest = rng.shuffle(rows.slice()).slice(0, k - out.length);
  return out.concat(rest);
}

/** Every class brought up to `target` rows by repeating its rows; larger classes keep all theirs. */
export function oversample(byClass: number[][], target: number, rng: SeededRng): Int32Array {
  const out: number[] = [];
  byClass.forEach((rows, c) => {
    if (rows.length === 0) return;
    out.push(...drawRows(rows, Math.max(target, rows.length), rng.fork(`class:${c}`)));
  });
  return Int32Array.from(rng.fork('order').shuffle(out));
}

/** Every class cut down to at most `target` rows, chosen at random. */
export function undersample(byClass: number[][], target: number, rng: SeededRng): Int32Array {
  const out: number[] = [];
  byClass.forEach((rows, c) => out.push(...rng.fork(`class:${c}`).shuffle(rows.slice()).slice(0, target)));
  return Int32Array.from(rng.fork('order').shuffle(out));
}

export type WeightMethod = 'inverse' | 'effective';

/**
 * Per-class loss weights, scaled so the mean weight over the dataset's rows is 1 (the loss keeps
 * its scale). `inverse`: 1/n. `effective`: 1/E(n) with E(n) = (1−βⁿ)/(1−β), the "effective number
 * of samples" of Cui et al. (CVPR 2019), which weighs the tail less extremely than 1/n.
 */
export function classWeights(counts: readonly number[], method: WeightMethod, beta = 0.999): number[] {
  const raw = counts.map((n) => {
    if (n === 0) return 0;
    return method === 'inverse' ? 1 / n : (1 - beta) / (1 - beta ** n);
  });
  const total = counts.reduce((a, b) => a + b, 0);
  const weighted = raw.reduce((a, w, c) => a + w * counts[c]!, 0);
  return raw.map((w) => (w * total) / weighted);
}

/**
 * Progressively balanced sampling (Kang et al., "Decoupling representation and classifier",
 * ICLR 2020): class c is drawn with p_c(t) = (1 − t/(T−1))·n_c/N + (t/(T−1))·1/C in epoch t, moving
 * from instance-balanced to class-balanced. Class quotas per epoch are rounded by largest
 * remainder, so each epoch holds exactly `perEpoch` rows.
 */
export function progressiveSchedule(byClass: number[][], epochs: number, perEpoch: number, rng: SeededRng): Int32Array {
  const present = byClass.map((rows, c) => ({ rows, c })).filter(({ rows }) => rows.length > 0);
  if (present.length === 0) throw new NodeUserError('progressive sampling needs at least one labeled row');
  const total = present.reduce((a, { rows }) => a + rows.length, 0);
  const out = new Int32Array(epochs * perEpoch);
  for (let t = 0; t < epochs; t++) {
    const mix = epochs === 1 ? 1 : t / (epochs - 1);
    const probs = present.map(({ rows }) => (1 - mix) * (rows.length / total) + mix / present.length);
    const quotas = largestRemainder(probs, perEpoch);
    const epochRng = rng.fork(`epoch:${t}`);
    const rows: number[] = [];
    present.forEach(({ rows: classRows, c }, k) => rows.push(...drawRows(classRows, quotas[k]!, epochRng.fork(`class:${c}`))));
    out.set(epochRng.fork('order').shuffle(rows), t * perEpoch);
  }
  return out;
}

/** Integer shares of `n` proportional to `probs` (which sum to 1), summing exactly to `n`. */
export function largestRemainder(probs: readonly number[], n: number): number[] {
  const exact = probs.map((p) => p * n);
  const base = exact.map(Math.floor);
  let left = n - base.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (left-- <= 0) break;
    base[i]!++;
  }
  return base;
}
