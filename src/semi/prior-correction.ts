/**
 * Correction of the teachers' predictions to the test set's known class prior before pseudo-labels
 * are chosen. Teachers trained on a long-tailed set over-predict head classes on a balanced test
 * set (the winner's pseudo-labels ran from ~180 to ~1,450 per class against 1,000 true). Sinkhorn
 * balancing (src/calibrate/sinkhorn.ts) rescales each class's column until the summed
 * probabilities match N × prior: with the prior known, this is the fixed point the EM prior
 * adjustment of Saerens et al. (2002) seeks, reached directly.
 */
import { sinkhorn } from '../calibrate/sinkhorn.js';

export interface PriorCorrection {
  probs: Float32Array;
  /** Per-class log scale applied (a logit offset). */
  logScale: number[];
  iterations: number;
  converged: boolean;
  maxDeviation: number;
}

/** `scores` are logits or log-probabilities of the pooled teachers. */
export function correctToPrior(scores: Float32Array, rows: number, prior: readonly number[]): PriorCorrection {
  const r = sinkhorn(scores, rows, prior, { iterations: 1000, tolerance: 1e-4 });
  return { probs: r.probs, logScale: Array.from(r.logScale), iterations: r.iterations, converged: r.converged, maxDeviation: r.maxDeviation };
}
