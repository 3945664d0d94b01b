/** The report's PNG figures, each a Canvas built from metrics, predictions, datasets or histories. */
import type { ClassStats, ReliabilityBin } from '../eval/classification.js';
import type { Dataset } from '../data/dataset.js';
import { Axes } from './axes.js';
import type { ModelHistory } from './history.js';
import { Canvas, GLYPH_H, INK, MUTED, PALETTE, clip, dashedLine, heat, marker, rectOutline, textCentre, textRight, textWidth, type Rgb } from './draw.js';

const W = 520;
const H = 320;

/** One panel per metric (loss, accuracy): training thin, validation thick, one colour per model. */
export function learningCurves(models: ModelHistory[], metric: 'loss' | 'accuracy'): Canvas {
  const points = (m: ModelHistory, key: string) => m.history.map((e) => [e.epoch, e[key] ?? NaN] as [number, number]);
  const all = models.flatMap((m) => [...points(m, metric), ...points(m, `val_${metric}`)]).filter(([, y]) => Number.isFinite(y));
  const epochs = models.flatMap((m) => m.history.map((e) => e.epoch));
  const yMax = metric === 'accuracy' ? 1 : Math.max(...all.map(([, y]) => y)) * 1.05 || 1;
  const ax = new Axes({
    width: W, height: H, title: `learning curves: ${metric}`, xLabel: 'epoch', yLabel: metric, xIntegers: true,
    x: { min: Math.min(1, ...epochs), max: Math.max(2, ...epochs) }, y: { min: 0, max: yMax },
  });
  const legend: { label: string; color: Rgb }[] = [];
  models.forEach((m, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    ax.polyline(points(m, metric), color, 1);
    ax.polyline(points(m, `val_${metric}`), color, 3);
    legend.push({ label: clip(m.name, 24), color });
  });
  ax.legend([...legend, { label: 'thin: train, thick: val', color: MUTED }]);
  return ax.canvas;
}

export const GROUP_COLORS: Record<'head' | 'middle' | 'tail', Rgb> = { head: PALETTE[0]!, middle: PALETTE[2]!, tail: PALETTE[3]! };

/** Per-class accuracy (recall) against training images per class, coloured by third. */
export function accuracyVsCount(perClass: readonly ClassStats[], title: string): Canvas {
  const known = perClass.every((s) => s.trainCount !== null);
  const xs = perClass.map((s, i) => (known ? s.trainCount! : i));
  const ax = new Axes({
    width: W, height: H, title, xLabel: known ? 'training images of the class' : 'class (label order; training counts unknown)',
    yLabel: 'class accuracy', x: { min: 0, max: Math.max(1, ...xs) * 1.04 }, y: { min: 0, max: 1.04 }, xIntegers: true,
  });
  perClass.forEach((s, i) => {
    if (s.accuracy === null) return;
    marker(ax.canvas, ax.px(xs[i]!), ax.py(s.accuracy), s.group ? GROUP_COLORS[s.group] : PALETTE[0]!);
  });
  if (known) ax.legend((['head', 'middle', 'tail'] as const).map((g) => ({ label: g, color: GROUP_COLORS[g] })));
  return ax.canvas;
}

/**
 * Row-normalised confusion matrix (each row = one true class, shade = share of its rows predicted as
 * each column). Class names label the rows when they fit; columns carry label indices.
 */
export function confusionHeatmap(confusion: readonly (readonly number[])[], classes: readonly string[], title: string): Canvas {
  const C = classes.length;
  const cell = Math.max(3, Math.min(24, Math.floor(560 / C)));
  const named = C <= 40;
  const rowLabels = classes.map((c, i) => (named ? `${i} ${clip(c, 14)}` : String(i)));
  const labelW = Math.max(...rowLabels.map((l) => textWidth(l))) + 8;
  const top = 2 * GLYPH_H + 14 + (named ? GLYPH_H + 4 : 0);
  const size = C * cell;
  const canvas = new Canvas(Math.max(labelW + size + 70, textWidth(title) + 12), top + size + GLYPH_H + 16);
  canvas.text(6, 4, title, INK);
  canvas.text(6, 4 + GLYPH_H + 4, 'rows: true class, columns: predicted', MUTED);
  const tickEvery = named ? 1 : 10;
  confusion.forEach((row, a) => {
    const total = row.reduce((s, n) => s + n, 0);
    row.forEach((n, b) => canvas.fillRect(labelW + b * cell, top + a * cell, cell, cell, heat(total ? n / total : 0)));
    if (a % tickEvery === 0) textRight(canvas, labelW - 4, top + a * cell + Math.floor((cell - GLYPH_H) / 2), rowLabels[a]!, INK);
  });
  for (let b = 0; b < C; b += tickEvery) {
    const y = named ? top - GLYPH_H - 3 : top + size + 4;
    if (named || b % 10 === 0) textCentre(canvas, labelW + b * cell + cell / 2, y, String(b), INK);
  }
  rectOutline(canvas, labelW - 1, top - 1, size + 2, size + 2, INK);
  // Colour scale: 0 → 1 share of the row.
  const sx = labelW + size + 16;
  for (let i = 0; i < size; i++) canvas.fillRect(sx, top + i, 12, 1, heat(1 - i / Math.max(1, size - 1)));
  rectOutline(canvas, sx - 1, top - 1, 14, size + 2, INK);
  canvas.text(sx + 16, top, '1', INK);
  canvas.text(sx + 16, top + size - GLYPH_H, '0', INK);
  return canvas;
}

/** Accuracy per confidence bin against the diagonal of perfect calibration, with bin counts. */
export function reliabilityDiagram(bins: readonly ReliabilityBin[], ece: number, title: string): Canvas {
  const ax = new Axes({ width: 420, height: 380, title: `${title}  ECE ${ece.toFixed(4)}`, xLabel: 'confidence (top probability)', yLabel: 'accuracy', x: { min: 0, max: 1 }, y: { min: 0, max: 1 } });
  const c = ax.canvas;
  for (const b of bins) {
    const x0 = ax.px(b.lo) + 1, x1 = ax.px(b.hi) - 1;
    if (b.accuracy === null) continue;
    const yAcc = ax.py(b.accuracy);
    c.fillRect(x0, yAcc, x1 - x0 + 1, ax.bottom - yAcc, PALETTE[0]!);
    // The gap between accuracy and mean confidence, outlined in red.
    const yConf = ax.py(b.meanConfidence!);
    rectOutline(c, x0, Math.min(yAcc, yConf), x1 - x0 + 1, Math.abs(yAcc - yConf) + 1, PALETTE[3]!);
  }
  dashedLine(c, ax.px(0), ax.py(0), ax.px(1), ax.py(1), INK);
  // Top-left: bars of a calibrated model stay low there.
  ax.legend([{ label: 'accuracy', color: PALETTE[0]! }, { label: 'gap to mean confidence', color: PALETTE[3]! }], 'left');
  return c;
}

export interface ConfusedPair {
  actual: number;
  predicted: number;
  count: number;
  /** Dataset rows of this pair, most confident mistakes first. */
  rows: number[];
}

/** A row per confused pair: "ACTUAL AS PREDICTED (n)" and its most confident mistaken drawings. */
export function confusedPairsSheet(ds: Dataset, classes: readonly string[], pairs: readonly ConfusedPair[], perPair: number, scale: number): Canvas {
  const cellW = ds.width * scale, cellH = ds.height * scale, gap = 3;
  const labels = pairs.map((p) => `${clip(classes[p.actual]!, 18)} as ${clip(classes[p.predicted]!, 18)} (${p.count})`);
  const labelW = Math.max(textWidth('most confused pairs'), ...labels.map((l) => textWidth(l))) + 10;
  const rowH = Math.max(cellH, GLYPH_H) + gap;
  const top = GLYPH_H + 10;
  const sheet = new Canvas(labelW + perPair * (cellW + gap) + gap, top + Math.max(1, pairs.length) * rowH + gap);
  sheet.text(4, 4, 'most confused pairs', INK);
  if (pairs.length === 0) sheet.text(4, top, 'no mistakes', MUTED);
  pairs.forEach((p, k) => {
    const y = top + k * rowH;
    sheet.text(4, y + Math.floor((cellH - GLYPH_H) / 2), labels[k]!, INK);
    p.rows.slice(0, perPair).forEach((row, j) => {
      const px = ds.width * ds.height;
      sheet.gray(labelW + j * (cellW + gap), y, ds.images.subarray(row * px, (row + 1) * px), ds.width, ds.height, scale);
    });
  });
  return sheet;
}
