/** The most confused (true, predicted) pairs of a predictions artifact, with the rows behind each. */
import type { Predictions } from '../artifacts/predictions.js';
import { argmaxRows, mostConfusedPairs } from '../eval/classification.js';
import type { ConfusedPair } from './figures.js';

export function confusedPairs(p: Predictions, limit: number): ConfusedPair[] {
  const C = p.numClasses;
  const pred = argmaxRows(p.probs, p.rows, C);
  const confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  for (let r = 0; r < p.rows; r++) if (p.labels[r]! >= 0) confusion[p.labels[r]!]![pred[r]!]!++;
  return mostConfusedPairs(confusion, limit).map((pair) => {
    const rows: number[] = [];
    for (let r = 0; r < p.rows; r++) if (p.labels[r] === pair.actual && pred[r] === pair.predicted) rows.push(r);
    // Most confident mistakes first: the drawings the model is surest about yet wrong.
    rows.sort((a, b) => p.probs[b * C + pair.predicted]! - p.probs[a * C + pair.predicted]! || a - b);
    return { ...pair, rows };
  });
}
