/**
 * Classification metrics of a predictions artifact: the numbers `eval/classification` writes to
 * metrics.json and the run history, and that `report/html` plots. Pure functions of arrays, so the
 * tests can check them against sums done by hand.
 */

/** Number of equal-width confidence bins of the expected calibration error (Guo et al., 2017). */
export const ECE_BINS = 15;

export type Group = 'head' | 'middle' | 'tail';

export interface ClassStats {
  name: string;
  /** Labeled rows of this class in the evaluated set. */
  support: number;
  correct: number;
  /** Rows predicted as this class. */
  predicted: number;
  /** Recall: correct / support; null when the class has no labeled row. */
  accuracy: number | null;
  precision: number | null;
  f1: number | null;
  /** Training images of this class, when known. */
  trainCount: number | null;
  group: Group | null;
}

export interface ReliabilityBin {
  /** Confidence interval (lo, hi]; the first bin also holds confidence 0. */
  lo: number;
  hi: number;
  count: number;
  /** Fraction of the bin's rows whose top prediction is right; null for an empty bin. */
  accuracy: number | null;
  meanConfidence: number | null;
}

export interface ClassificationMetrics {
  rows: number;
  /** Rows with a known label (label ≥ 0); only these are scored. */
  labeled: number;
  classes: string[];
  accuracy: number;
  /** Mean recall over the classes that have labeled rows. */
  balanced_accuracy: number;
  /** Mean F1 over the classes that occur as a label or a prediction (scikit-learn's convention). */
  macro_f1: number;
  /** Accuracy over the labeled rows whose class is in the head / middle / tail third by training count. */
  head_acc: number | null;
  middle_acc: number | null;
  tail_acc: number | null;
  ece: number;
  /** Class indices of each third, most trained first; empty when training counts are unknown. */
  groups: Record<Group, number[]>;
  perClass: ClassStats[];
  /** confusion[true][predicted] = rows. */
  confusion: number[][];
  reliability: ReliabilityBin[];
}

export interface PredictionArrays {
  /** Rows × classes, row-major. */
  probs: Float32Array;
  rows: number;
  numClasses: number;
  labels: Int32Array;
  classes: string[];
}

/** Index of the largest value of each row; ties go to the lowest index, as NumPy's argmax. */
export function argmaxRows(probs: Float32Array, rows: number, cols: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    let bestV = probs[r * cols]!;
    for (let c = 1; c < cols; c++) {
      const v = probs[r * cols + c]!;
      if (v > bestV) { bestV = v; best = c; }
    }
    out[r] = best;
  }
  return out;
}

/**
 * Splits classes into head / middle / tail thirds by training count (most first; ties by label
 * order, which for QuickDraw-LT100 is the benchmark order). Head and tail get round(k/3) classes
 * each and the middle the rest: 100 classes → 33 / 34 / 33, 5 → 2 / 1 / 2.
 */
export function thirdsByCount(trainCounts: readonly number[]): Record<Group, number[]> {
  const order = trainCounts.map((n, i) => ({ n, i })).sort((a, b) => b.n - a.n || a.i - b.i).map((x) => x.i);
  const k = order.length;
  const third = Math.round(k / 3);
  const headEnd = third;
  const tailStart = k - third;
  return { head: order.slice(0, headEnd), middle: order.slice(headEnd, tailStart), tail: order.slice(tailStart) };
}

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);

export function reliabilityBins(confidence: Float64Array | number[], correct: Uint8Array | boolean[], bins = ECE_BINS): ReliabilityBin[] {
  const count = new Array<number>(bins).fill(0);
  const right = new Array<number>(bins).fill(0);
  const conf = new Array<number>(bins).fill(0);
  for (let i = 0; i < confidence.length; i++) {
    const p = confidence[i]!;
    // Bins are (lo, hi]: confidence exactly k/bins belongs to bin k−1.
    const b = Math.min(bins - 1, Math.max(0, Math.ceil(p * bins) - 1));
    count[b]!++;
    conf[b]! += p;
    if (correct[i]) right[b]!++;
  }
  return count.map((n, b) => ({ lo: b / bins, hi: (b + 1) / bins, count: n, accuracy: ratio(right[b]!, n), meanConfidence: ratio(conf[b]!, n) }));
}

/** Σ over bins of (rows in bin / rows) · |accuracy − mean confidence|. */
export function expectedCalibrationError(bins: readonly ReliabilityBin[]): number {
  const total = bins.reduce((s, b) => s + b.count, 0);
  if (total === 0) return 0;
  return bins.reduce((s, b) => (b.count ? s + (b.count / total) * Math.abs(b.accuracy! - b.meanConfidence!) : s), 0);
}

/**
 * Scores the labeled rows (label ≥ 0). `trainCounts[c]` (training images of class c) enables the
 * head / middle / tail accuracies; without it they are null. Throws a plain Error on an empty
 * labeled set: the caller knows which file to name.
 */
export function classificationMetrics(p: PredictionArrays, trainCounts?: readonly number[]): ClassificationMetrics {
  const C = p.numClasses;
  const pred = argmaxRows(p.probs, p.rows, C);
  const confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  const confidence: number[] = [];
  const correct: boolean[] = [];
  let labeled = 0;
  let right = 0;
  for (let r = 0; r < p.rows; r++) {
    const y = p.labels[r]!;
    if (y < 0) continue;
    if (y >= C) throw new Error(`row ${r} has label ${y} but there are ${C} classes`);
    const yhat = pred[r]!;
    confusion[y]![yhat]!++;
    labeled++;
    if (y === yhat) right++;
    confidence.push(p.probs[r * C + yhat]!);
    correct.push(y === yhat);
  }
  if (labeled === 0) throw new Error('no labeled rows (every label is −1)');

  const groups: Record<Group, number[]> = trainCounts ? thirdsByCount(trainCounts) : { head: [], middle: [], tail: [] };
  const groupOf = new Map<number, Group>();
  for (const g of ['head', 'middle', 'tail'] as const) for (const c of groups[g]) groupOf.set(c, g);

  const perClass: ClassStats[] = p.classes.map((name, c) => {
    const row = confusion[c]!;
    const support = row.reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((s, r) => s + r[c]!, 0);
    const tp = row[c]!;
    const recall = ratio(tp, support);
    const precision = ratio(tp, predicted);
    // F1 = 2·tp / (support + predicted); 0 when the class is predicted but never right (or vice versa).
    const f1 = support + predicted > 0 ? (2 * tp) / (support + predicted) : null;
    return { name, support, correct: tp, predicted, accuracy: recall, precision, f1, trainCount: trainCounts ? trainCounts[c]! : null, group: groupOf.get(c) ?? null };
  });

  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const recalls = perClass.filter((s) => s.support > 0).map((s) => s.accuracy!);
  const f1s = perClass.filter((s) => s.f1 !== null).map((s) => s.f1!);
  const groupAcc = (g: Group): number | null => {
    let n = 0, k = 0;
    for (const c of groups[g]) { n += perClass[c]!.support; k += perClass[c]!.correct; }
    return ratio(k, n);
  };
  const reliability = reliabilityBins(confidence, correct);
  return {
    rows: p.rows,
    labeled,
    classes: p.classes,
    accuracy: right / labeled,
    balanced_accuracy: mean(recalls),
    macro_f1: mean(f1s),
    head_acc: groupAcc('head'),
    middle_acc: groupAcc('middle'),
    tail_acc: groupAcc('tail'),
    ece: expectedCalibrationError(reliability),
    groups,
    perClass,
    confusion,
    reliability,
  };
}

/** Off-diagonal confusion cells, largest first: the pairs a report shows examples of. */
export function mostConfusedPairs(confusion: readonly (readonly number[])[], limit: number): { actual: number; predicted: number; count: number }[] {
  const pairs: { actual: number; predicted: number; count: number }[] = [];
  confusion.forEach((row, a) => row.forEach((n, b) => { if (a !== b && n > 0) pairs.push({ actual: a, predicted: b, count: n }); }));
  return pairs.sort((x, y) => y.count - x.count || x.actual - y.actual || x.predicted - y.predicted).slice(0, limit);
}
