/**
 * Fits ensemble weights (non-negative, summing to 1) on labeled validation rows.
 *
 * log-likelihood: exponentiated gradient on the mean negative log-likelihood of the pooled
 * prediction, with a step that grows on success and halves on failure, so every accepted step
 * lowers the loss. The loss is convex in the weights for both pools, so this reaches the optimum.
 * accuracy: coordinate search over the simplex (move weight towards or away from one member in
 * shrinking steps), accepting a move only when it raises accuracy, or keeps it and lowers the
 * log-likelihood loss; accuracy is piecewise constant, so it has no gradient to follow.
 *
 * Both start from, and are compared at the end against, every single member (a vertex of the
 * simplex): the result is never worse than the best member on the rows it was fit on.
 */
import type { Predictions } from '../artifacts/predictions.js';
import type { PoolSpace } from './combine.js';
import { classBalancedRowWeights, LOG_PROB_FLOOR, scoresOf } from './probability.js';

export type WeightObjective = 'log-likelihood' | 'accuracy';

export interface WeightFitOptions {
  space: PoolSpace;
  objective: WeightObjective;
  /** Upper bound on accepted-or-rejected steps (log-likelihood) or sweeps (accuracy). */
  iterations: number;
  /** Weight rows so that every class counts alike: accuracy becomes balanced accuracy. */
  classBalanced?: boolean;
}

export interface Score {
  accuracy: number;
  nll: number;
}

export interface WeightFit {
  weights: number[];
  score: Score;
  /** Each member alone on the same rows. */
  memberScores: Score[];
  steps: number;
}

/** The members' values on the labeled rows only, member-major, ready for repeated pooling. */
class LabeledRows {
  readonly n: number;
  readonly classes: number;
  readonly values: Float64Array[];
  readonly labels: Int32Array;
  /** Per labeled row; mean 1. */
  readonly rowWeights: Float64Array;

  constructor(members: Predictions[], labels: Int32Array, readonly space: PoolSpace, classBalanced: boolean) {
    const rows: number[] = [];
    labels.forEach((l, r) => {
      if (l >= 0) rows.push(r);
    });
    this.n = rows.length;
    this.classes = members[0]!.numClasses;
    this.labels = Int32Array.from(rows, (r) => labels[r]!);
    const C = this.classes;
    this.rowWeights = classBalanced ? classBalancedRowWeights(this.labels, C) : new Float64Array(this.n).fill(1);
    this.values = members.map((m) => {
      const src = space === 'probs' ? m.probs : scoresOf(m);
      const v = new Float64Array(this.n * C);
      rows.forEach((r, i) => v.set(src.subarray(r * C, (r + 1) * C), i * C));
      return v;
    });
  }

  /** Loss, accuracy and (optionally) the gradient of the loss with respect to each weight. */
  evaluate(w: readonly number[], grad?: Float64Array): Score {
    const C = this.classes;
    const M = this.values.length;
    const row = new Float64Array(C);
    let nll = 0;
    let right = 0;
    grad?.fill(0);
    for (let i = 0; i < this.n; i++) {
      row.fill(0);
      for (let m = 0; m < M; m++) {
        const wm = w[m]!;
        if (wm === 0) continue;
        const v = this.values[m]!;
        for (let c = 0; c < C; c++) row[c]! += wm * v[i * C + c]!;
      }
      const y = this.labels[i]!;
      let best = 0;
      for (let c = 1; c < C; c++) if (row[c]! > row[best]!) best = c;
      const wi = this.rowWeights[i]!;
      if (best === y) right += wi;
      if (this.space === 'probs') {
        const py = Math.max(row[y]!, 1e-12);
        nll -= wi * Math.max(Math.log(py), LOG_PROB_FLOOR);
        if (grad) for (let m = 0; m < M; m++) grad[m]! -= (wi * this.values[m]![i * C + y]!) / py;
      } else {
        const max = row[best]!;
        let z = 0;
        for (let c = 0; c < C; c++) z += Math.exp(row[c]! - max);
        nll -= wi * (row[y]! - max - Math.log(z));
        if (grad) {
          for (let m = 0; m < M; m++) {
            const v = this.values[m]!;
            let expected = 0;
            for (let c = 0; c < C; c++) expected += (Math.exp(row[c]! - max) / z) * v[i * C + c]!;
            grad[m]! -= wi * (v[i * C + y]! - expected);
          }
        }
      }
    }
    if (grad) for (let m = 0; m < M; m++) grad[m]! /= this.n;
    return { accuracy: right / this.n, nll: nll / this.n };
  }
}

function better(a: Score, b: Score, objective: WeightObjective): boolean {
  if (objective === 'log-likelihood') return a.nll < b.nll;
  return a.accuracy > b.accuracy || (a.accuracy === b.accuracy && a.nll < b.nll);
}

function vertex(m: number, M: number): number[] {
  return Array.from({ length: M }, (_, k) => (k === m ? 1 : 0));
}

function exponentiatedGradient(data: LabeledRows, start: number[], iterations: number): { w: number[]; score: Score; steps: number } {
  const M = start.length;
  const grad = new Float64Array(M);
  let w = start;
  let score = data.evaluate(w, grad);
  let eta = 1;
  let steps = 0;
  for (; steps < iterations && eta > 1e-10; steps++) {
    const gmax = Math.max(...Array.from(grad, Math.abs));
    if (gmax === 0) break;
    const step = eta / gmax;
    const raw = w.map((wm, m) => wm * Math.exp(-step * grad[m]!));
    const sum = raw.reduce((a, b) => a + b, 0);
    const next = raw.map((x) => x / sum);
    const trial = new Float64Array(M);
    const s = data.evaluate(next, trial);
    if (s.nll < score.nll) {
      const gain = score.nll - s.nll;
      w = next;
      score = s;
      grad.set(trial);
      eta *= 1.5;
      if (gain < 1e-9) break;
    } else {
      eta /= 2;
    }
  }
  return { w, score, steps };
}

function coordinateSearch(data: LabeledRows, start: number[], start0: Score, iterations: number): { w: number[]; score: Score; steps: number } {
  const M = start.length;
  let w = start;
  let score = start0;
  let steps = 0;
  for (const step of [0.5, 0.25, 0.1, 0.05, 0.02, 0.01]) {
    for (let improved = true; improved && steps < iterations; steps++) {
      improved = false;
      for (let m = 0; m < M; m++) {
        const towards = w.map((wk, k) => (1 - step) * wk + (k === m ? step : 0));
        const away = w[m]! >= step && w[m]! < 1 ? w.map((wk, k) => (k === m ? wk - step : wk) / (1 - step)) : undefined;
        for (const cand of away ? [towards, away] : [towards]) {
          const s = data.evaluate(cand);
          if (better(s, score, 'accuracy')) {
            w = cand;
            score = s;
            improved = true;
          }
        }
      }
    }
  }
  return { w, score, steps };
}

export function fitWeights(members: Predictions[], labels: Int32Array, opts: WeightFitOptions): WeightFit {
  const data = new LabeledRows(members, labels, opts.space, opts.classBalanced ?? false);
  const M = members.length;
  const memberScores = members.map((_, m) => data.evaluate(vertex(m, M)));
  let bestMember = 0;
  memberScores.forEach((s, m) => {
    if (better(s, memberScores[bestMember]!, opts.objective)) bestMember = m;
  });
  const uniform = new Array<number>(M).fill(1 / M);
  const eg = exponentiatedGradient(data, uniform, opts.iterations);
  let result = { w: eg.w, score: eg.score, steps: eg.steps };
  if (opts.objective === 'accuracy') {
    // Start from the better of the likelihood optimum and the best member, then search.
    const fromMember = better(memberScores[bestMember]!, eg.score, 'accuracy') ? vertex(bestMember, M) : eg.w;
    const startScore = fromMember === eg.w ? eg.score : memberScores[bestMember]!;
    const cs = coordinateSearch(data, fromMember, startScore, opts.iterations);
    result = { w: cs.w, score: cs.score, steps: eg.steps + cs.steps };
  }
  if (better(memberScores[bestMember]!, result.score, opts.objective)) {
    result = { w: vertex(bestMember, M), score: memberScores[bestMember]!, steps: result.steps };
  }
  return { weights: result.w, score: result.score, memberScores, steps: result.steps };
}
