/**
 * Fixed combinations of member predictions: weighted means of probabilities (a linear pool) or of
 * logits (a log-linear pool), and the hard majority vote.
 */
import type { Predictions } from '../artifacts/predictions.js';
import { NodeUserError } from '../exec/node-contract.js';
import { argmaxRow, scoresOf, softmaxRows } from './probability.js';

/** `probs`: mean of probabilities; `logits`: softmax of the mean of logits (log-probs when absent). */
export type PoolSpace = 'probs' | 'logits';

export interface Pooled {
  probs: Float32Array;
  /** Present for the log-linear pool, whose mean scores are logits of its output. */
  logits?: Float32Array;
}

/** Weights as given (one per member, non-negative, not all zero), scaled to sum to 1. */
export function normalizeWeights(weights: readonly number[] | undefined, members: number): number[] {
  if (!weights) return new Array<number>(members).fill(1 / members);
  if (weights.length !== members) throw new NodeUserError(`weights has ${weights.length} entries but there are ${members} members`);
  const sum = weights.reduce((a, b) => a + b, 0);
  if (!(sum > 0)) throw new NodeUserError('weights must not all be zero');
  return weights.map((w) => w / sum);
}

export function pool(members: Predictions[], weights: readonly number[], space: PoolSpace): Pooled {
  const { rows, numClasses } = members[0]!;
  const acc = new Float64Array(rows * numClasses);
  members.forEach((m, k) => {
    const w = weights[k]!;
    if (w === 0) return;
    const values = space === 'probs' ? m.probs : scoresOf(m);
    for (let i = 0; i < acc.length; i++) acc[i]! += w * values[i]!;
  });
  if (space === 'probs') return { probs: Float32Array.from(acc) };
  return { probs: softmaxRows(acc, rows, numClasses), logits: Float32Array.from(acc) };
}

export interface Vote {
  /**
   * (votes_c + meanProb_c) / (members + 1): rows sum to 1, and the argmax is the class with the
   * most votes, a tie going to the larger summed probability (a vote outweighs any mean
   * probability difference, which is below 1).
   */
  probs: Float32Array;
  /** Per row, the share of members whose top class is the ensemble's. */
  agreement: Float32Array;
}

export function hardVote(members: Predictions[]): Vote {
  const { rows, numClasses } = members[0]!;
  const m = members.length;
  const probs = new Float32Array(rows * numClasses);
  const agreement = new Float32Array(rows);
  const votes = new Float64Array(numClasses);
  const score = new Float64Array(numClasses);
  for (let r = 0; r < rows; r++) {
    votes.fill(0);
    score.fill(0);
    for (const p of members) {
      votes[argmaxRow(p.probs, r, numClasses)]!++;
      for (let c = 0; c < numClasses; c++) score[c]! += p.probs[r * numClasses + c]! / m;
    }
    for (let c = 0; c < numClasses; c++) score[c] = (votes[c]! + score[c]!) / (m + 1);
    probs.set(score, r * numClasses);
    agreement[r] = votes[argmaxRow(score, 0, numClasses)]! / m;
  }
  return { probs, agreement };
}
