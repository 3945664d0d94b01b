/**
 * The competition's submission format: a header `id,label`, then one line per test image in
 * dataset order, id = the row index (0-based) and label = the predicted class name (the top k
 * names separated by spaces when k > 1, as Quick, Draw!'s Kaggle challenges scored MAP@3).
 */
import type { Predictions } from '../../artifacts/predictions.js';

/** Quotes a CSV field when it needs it (RFC 4180). */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Class indices of the k highest probabilities of a row, best first (ties: lower index first). */
export function topClasses(probs: Float32Array, row: number, C: number, k: number): number[] {
  const idx = Array.from({ length: C }, (_, c) => c);
  idx.sort((a, b) => probs[row * C + b]! - probs[row * C + a]! || a - b);
  return idx.slice(0, k);
}

export function submissionCsv(p: Predictions, opts: { idColumn: string; labelColumn: string; topK: number; idOffset: number }): string {
  const lines = [`${csvField(opts.idColumn)},${csvField(opts.labelColumn)}`];
  for (let r = 0; r < p.rows; r++) {
    const names = topClasses(p.probs, r, p.numClasses, Math.min(opts.topK, p.numClasses)).map((c) => p.classes[c]!);
    lines.push(`${r + opts.idOffset},${csvField(names.join(' '))}`);
  }
  return lines.join('\n') + '\n';
}
