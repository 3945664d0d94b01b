/** A plot frame: data ranges mapped to a pixel rectangle of a canvas, with ticks, grid and a legend. */
import { Canvas, GLYPH_H, GRID, INK, MUTED, textCentre, textRight, textWidth, type Rgb, line, rectOutline } from './draw.js';

export interface Range { min: number; max: number }

/** About `target` round tick values (1, 2, 5 × 10^k steps) covering [min, max]. */
export function niceTicks(min: number, max: number, target = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 10000) return `${(v / 1000).toFixed(0)}K`;
  if (Number.isInteger(v)) return String(v);
  return a >= 1 ? v.toFixed(1) : v.toFixed(2).replace(/^0\./, '.').replace(/^-0\./, '-.');
}

export interface AxesOptions {
  width: number;
  height: number;
  title: string;
  xLabel: string;
  yLabel: string;
  x: Range;
  y: Range;
  /** Integer ticks only (epochs, counts). */
  xIntegers?: boolean;
}

export class Axes {
  readonly canvas: Canvas;
  readonly left = 44;
  readonly top = 2 * GLYPH_H + 16;
  readonly right: number;
  readonly bottom: number;

  constructor(readonly opts: AxesOptions) {
    this.canvas = new Canvas(opts.width, opts.height);
    this.right = opts.width - 12;
    this.bottom = opts.height - 2 * GLYPH_H - 14;
    const c = this.canvas;
    c.text(6, 4, opts.title, INK);
    c.text(6, 4 + GLYPH_H + 4, opts.yLabel, MUTED);
    let xt = niceTicks(opts.x.min, opts.x.max, 6);
    if (opts.xIntegers) xt = xt.filter((v) => Number.isInteger(v));
    for (const v of xt) {
      const px = this.px(v);
      c.fillRect(px, this.top, 1, this.bottom - this.top, GRID);
      c.fillRect(px, this.bottom, 1, 4, INK);
      textCentre(c, px, this.bottom + 6, formatTick(v), INK);
    }
    for (const v of niceTicks(opts.y.min, opts.y.max, 6)) {
      const py = this.py(v);
      c.fillRect(this.left, py, this.right - this.left, 1, GRID);
      c.fillRect(this.left - 4, py, 4, 1, INK);
      textRight(c, this.left - 6, py - 3, formatTick(v), INK);
    }
    rectOutline(c, this.left, this.top, this.right - this.left + 1, this.bottom - this.top + 1, INK);
    textCentre(c, (this.left + this.right) / 2, opts.height - GLYPH_H - 3, opts.xLabel, MUTED);
  }

  px(x: number): number {
    const { min, max } = this.opts.x;
    return Math.round(this.left + ((x - min) / (max - min || 1)) * (this.right - this.left));
  }

  py(y: number): number {
    const { min, max } = this.opts.y;
    return Math.round(this.bottom - ((y - min) / (max - min || 1)) * (this.bottom - this.top));
  }

  /** Connects the points in order; skips non-finite values (breaks the line there). */
  polyline(points: [number, number][], color: Rgb, width = 2): void {
    let prev: [number, number] | null = null;
    for (const [x, y] of points) {
      if (!Number.isFinite(x) || !Number.isFinite(y)) { prev = null; continue; }
      const p: [number, number] = [this.px(x), this.py(y)];
      if (prev) line(this.canvas, prev[0], prev[1], p[0], p[1], color, width);
      else this.canvas.fillRect(p[0] - 1, p[1] - 1, width + 1, width + 1, color);
      prev = p;
    }
  }

  /** Legend entries in a column at the frame's top-right (or top-left) corner. */
  legend(entries: { label: string; color: Rgb }[], corner: 'right' | 'left' = 'right'): void {
    const w = Math.max(0, ...entries.map((e) => textWidth(e.label))) + 16;
    const x = corner === 'right' ? this.right - w - 4 : this.left + 6;
    entries.forEach((e, i) => {
      const y = this.top + 4 + i * (GLYPH_H + 4);
      this.canvas.fillRect(x - 2, y - 2, w + 4, GLYPH_H + 4, [255, 255, 255]);
      this.canvas.fillRect(x, y + 2, 10, 3, e.color);
      this.canvas.text(x + 14, y, e.label, INK);
    });
  }
}
