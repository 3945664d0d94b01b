/**
 * Stroke → bitmap renderer that reproduces Google's `numpy_bitmap` files.
 *
 * Google rendered each simplified drawing (coordinates 0–255) with cairo: a 256×256 canvas plus
 * 16 px padding on each side and half a line width more for the round caps (304 units in all), the
 * drawing's bounding box centred on the canvas, strokes 16 units wide with round caps and joins,
 * anti-aliased, white on black, straight to the output size. We reproduce that with an analytic
 * coverage estimate: a pixel's coverage by a stroke is `clamp(r + ½ − d, 0, 1)` where `d` is the
 * distance from the pixel centre to the stroke's polyline and `r` the half width in pixels. That
 * ramp is the exact area coverage for a straight edge crossing the pixel, and the distance to a
 * polyline is the minimum over its segments, so each stroke's coverage is the union of its
 * segments (no double counting where a stroke crosses itself) — as cairo fills a stroke outline
 * once. Strokes are then composited one over the other, as cairo does with one `stroke()` each.
 */

/** One stroke of Google's simplified format: `[xs, ys]`. */
export type Stroke = [number[], number[]];
export type Drawing = Stroke[];

export interface RenderOptions {
  /** Output side in pixels (Google's files: 28). */
  size: number;
  /** Stroke width in canvas units (of 256). */
  lineWidth?: number;
  /** Padding around the 256 canvas, in canvas units. */
  padding?: number;
}

const CANVAS = 256;
export const GOOGLE_LINE_WIDTH = 16;
export const GOOGLE_PADDING = 16;

/**
 * A reusable renderer for one output size; keeps its scratch buffers so rendering 100,000 drawings
 * allocates nothing per drawing.
 */
export class StrokeRenderer {
  readonly size: number;
  private readonly scale: number;
  private readonly margin: number;
  private readonly radius: number;
  /** Coverage of the current image (0–1), composited stroke by stroke. */
  private readonly image: Float32Array;
  /** Coverage of the stroke being drawn. */
  private readonly stroke: Float32Array;

  constructor(opts: RenderOptions) {
    const lineWidth = opts.lineWidth ?? GOOGLE_LINE_WIDTH;
    const padding = opts.padding ?? GOOGLE_PADDING;
    // Padding on both sides plus half a line on each side so round caps at the canvas edge fit.
    const totalPadding = padding * 2 + lineWidth;
    this.size = opts.size;
    this.scale = opts.size / (CANVAS + totalPadding);
    this.margin = totalPadding / 2;
    this.radius = (lineWidth / 2) * this.scale;
    this.image = new Float32Array(opts.size * opts.size);
    this.stroke = new Float32Array(opts.size * opts.size);
  }

  /** Renders into `out` at `offset` (size² bytes, row-major, white on black). */
  render(drawing: Drawing, out: Uint8Array = new Uint8Array(this.size * this.size), offset = 0): Uint8Array {
    const { size, scale, margin, radius, image, stroke } = this;
    image.fill(0);
    // Google centres the box [0, max] (simplified drawings start at 0 on both axes).
    let maxX = 0;
    let maxY = 0;
    for (const [xs, ys] of drawing) {
      for (let i = 0; i < xs.length; i++) if (xs[i]! > maxX) maxX = xs[i]!;
      for (let i = 0; i < ys.length; i++) if (ys[i]! > maxY) maxY = ys[i]!;
    }
    const offX = (CANVAS - maxX) / 2 + margin;
    const offY = (CANVAS - maxY) / 2 + margin;
    const reach = radius + 0.5;
    for (const [xs, ys] of drawing) {
      const n = Math.min(xs.length, ys.length);
      if (n === 0) continue;
      let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      let px = (xs[0]! + offX) * scale;
      let py = (ys[0]! + offY) * scale;
      // A one-point stroke is a dot: cairo draws the round cap of a zero-length segment.
      for (let i = n === 1 ? 0 : 1; i < n; i++) {
        const qx = (xs[i]! + offX) * scale;
        const qy = (ys[i]! + offY) * scale;
        const bx0 = Math.max(0, Math.floor(Math.min(px, qx) - reach));
        const bx1 = Math.min(size - 1, Math.ceil(Math.max(px, qx) + reach));
        const by0 = Math.max(0, Math.floor(Math.min(py, qy) - reach));
        const by1 = Math.min(size - 1, Math.ceil(Math.max(py, qy) + reach));
        if (bx0 < x0) x0 = bx0;
        if (bx1 > x1) x1 = bx1;
        if (by0 < y0) y0 = by0;
        if (by1 > y1) y1 = by1;
        const dx = qx - px;
        const dy = qy - py;
        const len2 = dx * dx + dy * dy;
        const inv = len2 > 0 ? 1 / len2 : 0;
        // Pixels within `reach` of the segment lie in a band around its line; on each row only the
        // band's x-interval is visited (matters for long diagonal segments at 64 or 96 px).
        const bandHalf = dy !== 0 ? (reach * Math.sqrt(len2)) / Math.abs(dy) + 0.5 : Infinity;
        for (let y = by0; y <= by1; y++) {
          const cy = y + 0.5 - py;
          const row = y * size;
          let xa = bx0, xb = bx1;
          if (bandHalf !== Infinity) {
            const xc = px + (dx * cy) / dy - 0.5;
            xa = Math.max(bx0, Math.floor(xc - bandHalf));
            xb = Math.min(bx1, Math.ceil(xc + bandHalf));
          }
          for (let x = xa; x <= xb; x++) {
            const cx = x + 0.5 - px;
            let t = (cx * dx + cy * dy) * inv;
            t = t < 0 ? 0 : t > 1 ? 1 : t;
            const ex = cx - t * dx;
            const ey = cy - t * dy;
            const cov = reach - Math.sqrt(ex * ex + ey * ey);
            if (cov > stroke[row + x]!) stroke[row + x] = cov > 1 ? 1 : cov;
          }
        }
        px = qx;
        py = qy;
      }
      // Composite this stroke over the image and clear its scratch area for the next one.
      for (let y = y0; y <= y1; y++) {
        const row = y * size;
        for (let x = x0; x <= x1; x++) {
          const c = stroke[row + x]!;
          if (c > 0) {
            image[row + x] = image[row + x]! + c * (1 - image[row + x]!);
            stroke[row + x] = 0;
          }
        }
      }
    }
    for (let i = 0; i < image.length; i++) out[offset + i] = Math.round(image[i]! * 255);
    return out;
  }
}

/** Renders many drawings into one (N, size, size) uint8 buffer. */
export function renderDrawings(drawings: readonly Drawing[], size = 28): Uint8Array {
  const renderer = new StrokeRenderer({ size });
  const out = new Uint8Array(drawings.length * size * size);
  drawings.forEach((d, i) => renderer.render(d, out, i * size * size));
  return out;
}

/** Pearson correlation of two equally long pixel vectors (the renderer check's measure). */
export function pixelCorrelation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let sa = 0, sb = 0;
  for (let i = 0; i < n; i++) { sa += a[i]!; sb += b[i]!; }
  const ma = sa / n, mb = sb / n;
  let cov = 0, va = 0, vb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma, db = b[i]! - mb;
    cov += da * db; va += da * da; vb += db * db;
  }
  return va === 0 || vb === 0 ? (va === vb ? 1 : 0) : cov / Math.sqrt(va * vb);
}
