/**
 * Balanced assignment by Sinkhorn–Knopp: rescale each class's column of the probability matrix
 * (and renormalise each row) until the columns sum to N × the target prior, e.g. a known uniform
 * test distribution. The result is the KL-closest matrix to the model's with rows summing to 1 and
 * the target's column sums; a column scaling is a per-class logit offset, so it is returned as one.
 */
export interface SinkhornOptions {
  iterations: number;
  /** Largest allowed |column sum − N·target| / (N·target) before stopping. */
  tolerance: number;
}

export interface SinkhornResult {
  /** Rows sum to 1 (exactly, up to float32); columns to N·target within tolerance if converged. */
  probs: Float32Array;
  /** log of each class's column scale: add it to the logits to get these probabilities. */
  logScale: Float64Array;
  iterations: number;
  /** Largest relative column-sum deviation at the end. */
  maxDeviation: number;
  converged: boolean;
}

/** `scores` are logits (or log-probabilities): working from them avoids float32 underflow of small probabilities. */
export function sinkhorn(scores: Float32Array, rows: number, target: readonly number[], opts: SinkhornOptions): SinkhornResult {
  const C = target.length;
  // Row-max-shifted exponentials, computed once: each iteration is then multiply-adds only.
  const e = new Float64Array(scores.length);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let c = 0; c < C; c++) max = Math.max(max, scores[r * C + c]!);
    for (let c = 0; c < C; c++) e[r * C + c] = Math.exp(scores[r * C + c]! - max);
  }
  const want = target.map((t) => t * rows);
  const v = new Float64Array(C).fill(1);
  want.forEach((w, c) => {
    if (w === 0) v[c] = 0;
  });
  const colSums = new Float64Array(C);
  const measure = (): number => {
    colSums.fill(0);
    for (let r = 0; r < rows; r++) {
      let z = 0;
      for (let c = 0; c < C; c++) z += e[r * C + c]! * v[c]!;
      for (let c = 0; c < C; c++) colSums[c]! += (e[r * C + c]! * v[c]!) / z;
    }
    let dev = 0;
    for (let c = 0; c < C; c++) if (want[c]! > 0) dev = Math.max(dev, Math.abs(colSums[c]! - want[c]!) / want[c]!);
    return dev;
  };
  let maxDeviation = measure();
  let it = 0;
  for (; it < opts.iterations && maxDeviation > opts.tolerance; it++) {
    for (let c = 0; c < C; c++) if (want[c]! > 0 && colSums[c]! > 0) v[c]! *= want[c]! / colSums[c]!;
    // Keep the scales near 1: only their ratios matter, and this stops drift to over/underflow.
    let logMean = 0;
    let k = 0;
    for (let c = 0; c < C; c++) if (v[c]! > 0) { logMean += Math.log(v[c]!); k++; }
    const norm = Math.exp(logMean / Math.max(k, 1));
    for (let c = 0; c < C; c++) v[c]! /= norm;
    maxDeviation = measure();
  }
  const probs = new Float32Array(scores.length);
  for (let r = 0; r < rows; r++) {
    let z = 0;
    for (let c = 0; c < C; c++) z += e[r * C + c]! * v[c]!;
    for (let c = 0; c < C; c++) probs[r * C + c] = (e[r * C + c]! * v[c]!) / z;
  }
  const logScale = Float64Array.from(v, (x) => (x > 0 ? Math.log(x) : -Infinity));
  return { probs, logScale, iterations: it, maxDeviation, converged: maxDeviation <= opts.tolerance };
}
