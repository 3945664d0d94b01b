/**
 * Post-hoc logit adjustment (Menon et al., "Long-tail learning via logit adjustment", 2021):
 * a model trained on a long-tailed prior π scores head classes too high on a balanced test set;
 * subtracting τ·log π_c from every logit of class c removes that bias (τ = 1 is Bayes-consistent
 * for the balanced error).
 */
export function adjustLogits(logits: Float32Array, rows: number, prior: readonly number[], tau: number): Float32Array {
  const C = prior.length;
  const shift = prior.map((p) => tau * Math.log(p));
  const out = new Float32Array(logits.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < C; c++) out[r * C + c] = logits[r * C + c]! - shift[c]!;
  return out;
}
