/**
 * The distillation targets: the teachers' pooled scores (logits, or log-probabilities of members
 * without logits) divided by a temperature T and softmaxed. T > 1 spreads the probability mass of
 * the teachers' confident rows over the classes they find similar — the "dark knowledge" a student
 * learns more from than from one-hot labels (Hinton, Vinyals & Dean, 2015).
 */
import { NodeUserError } from '../exec/node-contract.js';
import type { Predictions } from '../artifacts/predictions.js';
import { normalizeWeights, pool } from '../ensemble/combine.js';
import { softmaxRows } from '../ensemble/probability.js';

export function softenedTargets(members: Predictions[], temperature: number): Float32Array {
  if (!(temperature > 0)) throw new NodeUserError(`temperature must be > 0, got ${temperature}`);
  const { rows, numClasses } = members[0]!;
  const pooled = pool(members, normalizeWeights(undefined, members.length), 'logits');
  const scaled = Float32Array.from(pooled.logits!, (z) => z / temperature);
  return softmaxRows(scaled, rows, numClasses);
}
