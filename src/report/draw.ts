/** Drawing operations the report's plots need beyond src/data/canvas.ts: lines, markers, aligned text. */
import { Canvas, GLYPH_H, textWidth, type Rgb } from '../data/canvas.js';

export const INK: Rgb = [30, 30, 30];
export const MUTED: Rgb = [120, 120, 120];
export const GRID: Rgb = [228, 228, 228];
/** Series colours (Tableau 10), distinct in print and for the common colour-vision deficiencies. */
export const PALETTE: Rgb[] = [
  [31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
  [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207],
];

/** A line `width` px thick (Bresenham, with a square brush). */
export function line(c: Canvas, x0: number, y0: number, x1: number, y1: number, color: Rgb, width = 1): void {
  x0 = Math.round(x0); y0 = Math.round(y0); x1 = Math.round(x1); y1 = Math.round(y1);
  const dx = Math.abs(x1 - x0), dy = -Math.abs(y1 - y0);
  const sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
  const off = Math.floor((width - 1) / 2);
  let err = dx + dy;
  for (;;) {
    c.fillRect(x0 - off, y0 - off, width, width, color);
    if (x0 === x1 && y0 === y1) break;
    const e2 = 2 * err;
    if (e2 >= dy) { err += dy; x0 += sx; }
    if (e2 <= dx) { err += dx; y0 += sy; }
  }
}

/** Every other `dash` px of a line, for reference lines (the diagonal of a reliability diagram). */
export function dashedLine(c: Canvas, x0: number, y0: number, x1: number, y1: number, color: Rgb, dash = 4): void {
  const len = Math.hypot(x1 - x0, y1 - y0);
  const steps = Math.max(1, Math.floor(len / dash));
  for (let i = 0; i < steps; i += 2) {
    const t0 = i / steps, t1 = Math.min(1, (i + 1) / steps);
    line(c, x0 + (x1 - x0) * t0, y0 + (y1 - y0) * t0, x0 + (x1 - x0) * t1, y0 + (y1 - y0) * t1, color);
  }
}

/** A filled square marker centred on (x, y). */
export function marker(c: Canvas, x: number, y: number, color: Rgb, size = 5): void {
  const h = Math.floor(size / 2);
  c.fillRect(Math.round(x) - h, Math.round(y) - h, size, size, color);
}

export function rectOutline(c: Canvas, x: number, y: number, w: number, h: number, color: Rgb): void {
  c.fillRect(x, y, w, 1, color);
  c.fillRect(x, y + h - 1, w, 1, color);
  c.fillRect(x, y, 1, h, color);
  c.fillRect(x + w - 1, y, 1, h, color);
}

/** Text whose right edge is at x. */
export function textRight(c: Canvas, x: number, y: number, text: string, color: Rgb, scale = 1): void {
  c.text(x - textWidth(text, scale) + scale, y, text, color, scale);
}

/** Text centred on x. */
export function textCentre(c: Canvas, x: number, y: number, text: string, color: Rgb, scale = 1): void {
  c.text(Math.round(x - textWidth(text, scale) / 2), y, text, color, scale);
}

/** Text cut to at most `max` characters, with a trailing '.' when cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(1, max - 1))}.`;
}

/** White → dark blue ramp for heat maps; t in [0, 1]. */
export function heat(t: number): Rgb {
  const u = Math.min(1, Math.max(0, t));
  const from: Rgb = [247, 251, 255], to: Rgb = [8, 48, 107];
  return [0, 1, 2].map((i) => Math.round(from[i]! + (to[i]! - from[i]!) * u)) as Rgb;
}

export { Canvas, GLYPH_H, textWidth, type Rgb };
