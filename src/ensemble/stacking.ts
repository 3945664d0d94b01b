/**
 * Stacking: a softmax regression on the members' concatenated per-class outputs, fit on labeled
 * validation rows. Its honest accuracy comes from stratified k-fold cross-validation on those rows
 * (each row predicted by a model that never saw it); the model applied to test rows is then fit on
 * all of them.
 */
import type { Predictions } from '../artifacts/predictions.js';
import { SeededRng } from '../data/rng.js';
import { fitSoftmaxRegression, predictLogits, type RegressionStructure, type SoftmaxRegression } from './softmax-regression.js';
import { classBalancedRowWeights, logProbsOf } from './probability.js';

/** What each member contributes per class: its log-probabilities or its probabilities. */
export type StackInput = 'log-probs' | 'probs';

export interface StackingOptions {
  input: StackInput;
  structure: RegressionStructure;
  l2: number;
  iterations: number;
  folds: number;
  seed: number;
  /** Weight rows so that every class counts alike (a balanced test set). */
  classBalanced?: boolean;
  onProgress?: (step: number, total: number) => void;
  shouldStop?: () => boolean;
}

/** rows × (members · classes): member-major blocks of C columns, the layout 'diagonal' expects. */
export function stackFeatures(members: Predictions[], input: StackInput): Float64Array {
  const { rows, numClasses: C } = members[0]!;
  const M = members.length;
  const x = new Float64Array(rows * M * C);
  members.forEach((p, m) => {
    const v = input === 'probs' ? p.probs : logProbsOf(p);
    for (let r = 0; r < rows; r++) for (let c = 0; c < C; c++) x[r * M * C + m * C + c] = v[r * C + c]!;
  });
  return x;
}

/**
 * Weights of the plain average of the members' inputs (1/M on each member's own class column):
 * the penalty's anchor and the starting point, so a heavily penalised stack is the plain average.
 */
function averageAnchor(structure: RegressionStructure, members: number, classes: number): Float64Array {
  const dims = members * classes;
  if (structure === 'diagonal') return new Float64Array(dims).fill(1 / members);
  const w = new Float64Array(dims * classes);
  for (let m = 0; m < members; m++) for (let c = 0; c < classes; c++) w[(m * classes + c) * classes + c] = 1 / members;
  return w;
}

/** Fold of each row, stratified by label: each class's rows are shuffled and dealt in turn. */
export function stratifiedFolds(labels: Int32Array, folds: number, seed: number): Int32Array {
  const fold = new Int32Array(labels.length).fill(-1);
  const byClass = new Map<number, number[]>();
  labels.forEach((l, r) => {
    if (l < 0) return;
    const rows = byClass.get(l);
    if (rows) rows.push(r);
    else byClass.set(l, [r]);
  });
  const rng = new SeededRng(seed);
  let next = 0;
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    for (const r of rng.fork(label).shuffle(byClass.get(label)!)) fold[r] = next++ % folds;
  }
  return fold;
}

function rowsOf(x: Float64Array, dims: number, rows: number[]): Float64Array {
  const out = new Float64Array(rows.length * dims);
  rows.forEach((r, i) => out.set(x.subarray(r * dims, (r + 1) * dims), i * dims));
  return out;
}

export interface StackingResult {
  model: SoftmaxRegression;
  /** L-BFGS iterations of the full fit and of each fold's. */
  iterations: number[];
  /** Out-of-fold logits of every validation row (rows × C); unlabeled rows get the full model's. */
  validationLogits: Float32Array;
}

export async function fitStacking(valMembers: Predictions[], labels: Int32Array, opts: StackingOptions): Promise<StackingResult> {
  const { rows, numClasses: C } = valMembers[0]!;
  const M = valMembers.length;
  const dims = M * C;
  const x = stackFeatures(valMembers, opts.input);
  const anchor = averageAnchor(opts.structure, M, C);
  const fit = (rowIds: number[]) => {
    const fitLabels = Int32Array.from(rowIds, (r) => labels[r]!);
    return fitSoftmaxRegression(
      {
        x: rowsOf(x, dims, rowIds), rows: rowIds.length, dims, labels: fitLabels, classes: C,
        ...(opts.classBalanced ? { rowWeights: classBalancedRowWeights(fitLabels, C) } : {}),
      },
      { structure: opts.structure, l2: opts.l2, iterations: opts.iterations, anchor, onIteration: () => opts.shouldStop?.() ?? false },
    );
  };
  const labeled = Array.from({ length: rows }, (_, r) => r).filter((r) => labels[r]! >= 0);
  const total = opts.folds + 1;
  const fold = stratifiedFolds(labels, opts.folds, opts.seed);
  // Between fits, yield to the event loop so progress reaches the engine and a cancel can arrive.
  const pause = () => new Promise((resolve) => setImmediate(resolve));
  const model = fit(labeled);
  const iterations = [model.iterations];
  opts.onProgress?.(1, total);
  await pause();
  const validationLogits = predictLogits(model, x, rows);
  for (let k = 0; k < opts.folds; k++) {
    const held = labeled.filter((r) => fold[r] === k);
    if (held.length === 0) continue;
    const foldModel = fit(labeled.filter((r) => fold[r] !== k));
    iterations.push(foldModel.iterations);
    const heldLogits = predictLogits(foldModel, rowsOf(x, dims, held), held.length);
    held.forEach((r, i) => validationLogits.set(heldLogits.subarray(i * C, (i + 1) * C), r * C));
    opts.onProgress?.(k + 2, total);
    await pause();
    if (opts.shouldStop?.()) break;
  }
  return { model, iterations, validationLogits };
}

export function applyStacking(model: SoftmaxRegression, members: Predictions[], input: StackInput): Float32Array {
  return predictLogits(model, stackFeatures(members, input), members[0]!.rows);
}
