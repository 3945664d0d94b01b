/** The two figures of `data/preview`: a contact sheet (a row of samples per class) and counts per class. */
import { Canvas, GLYPH_H, textWidth, type Rgb } from './canvas.js';
import type { Dataset } from './dataset.js';
import { rowsByClass } from './balance.js';
import { SeededRng } from './rng.js';

const INK: Rgb = [30, 30, 30];
const BAR: Rgb = [66, 110, 180];
const MUTED: Rgb = [120, 120, 120];

export interface ContactSheetOptions {
  perClass: number;
  /** Pixel magnification of each drawing (28 px is small on a screen). */
  scale: number;
  seed: number;
}

/** Samples: the first `perClass` rows of each class, or a seeded random pick when `seed` ≥ 0. */
export function contactSheet(ds: Dataset, opts: ContactSheetOptions): Canvas {
  const byClass = rowsByClass(ds.labels, ds.classes.length);
  const rng = new SeededRng(opts.seed);
  const picks = byClass.map((rows, c) => (opts.seed < 0 ? rows : rng.fork(c).shuffle(rows.slice())).slice(0, opts.perClass));
  const cell = ds.width * opts.scale;
  const gap = 2;
  const labels = ds.classes.map((c, i) => `${c} (${byClass[i]!.length})`);
  const labelW = Math.max(...labels.map((l) => textWidth(l))) + 8;
  const rowH = Math.max(ds.height * opts.scale, GLYPH_H) + gap;
  const sheet = new Canvas(labelW + opts.perClass * (cell + gap) + gap, ds.classes.length * rowH + gap);
  picks.forEach((rows, c) => {
    const y = gap + c * rowH;
    sheet.text(4, y + Math.floor((rowH - gap - GLYPH_H) / 2), labels[c]!, rows.length ? INK : MUTED);
    rows.forEach((row, k) => {
      const img = ds.images.subarray(row * ds.width * ds.height, (row + 1) * ds.width * ds.height);
      sheet.gray(labelW + k * (cell + gap), y, img, ds.width, ds.height, opts.scale);
    });
  });
  return sheet;
}

/** Horizontal bars, one per class in label order (a long-tailed profile reads as a slope). */
export function countsChart(classes: readonly string[], counts: readonly number[], title: string): Canvas {
  const barH = 9;
  const gap = 3;
  const labelW = Math.max(...classes.map((c) => textWidth(c))) + 10;
  const plotW = 480;
  const numW = textWidth(String(Math.max(...counts, 0))) + 10;
  const top = 2 * GLYPH_H + 12;
  const chart = new Canvas(labelW + plotW + numW + 10, top + classes.length * (barH + gap) + 10);
  chart.text(4, 4, title, INK);
  const max = Math.max(1, ...counts);
  classes.forEach((c, i) => {
    const y = top + i * (barH + gap);
    chart.text(4, y + 1, c, INK);
    const w = Math.round((counts[i]! / max) * plotW);
    chart.fillRect(labelW, y, w, barH, BAR);
    chart.text(labelW + w + 4, y + 1, String(counts[i]!), MUTED);
  });
  return chart;
}
