/** An RGB raster with the few drawing operations the preview figures need, and a 5×7 pixel font. */
import { encodePng } from './png.js';

export type Rgb = [number, number, number];

// Classic 5×7 glyphs, one 5-bit row per entry; letters are drawn in capitals.
const GLYPHS: Record<string, number[]> = {
  A: [14, 17, 17, 31, 17, 17, 17], B: [30, 17, 17, 30, 17, 17, 30], C: [14, 17, 16, 16, 16, 17, 14],
  D: [30, 17, 17, 17, 17, 17, 30], E: [31, 16, 16, 30, 16, 16, 31], F: [31, 16, 16, 30, 16, 16, 16],
  G: [14, 17, 16, 23, 17, 17, 15], H: [17, 17, 17, 31, 17, 17, 17], I: [14, 4, 4, 4, 4, 4, 14],
  J: [7, 2, 2, 2, 2, 18, 12], K: [17, 18, 20, 24, 20, 18, 17], L: [16, 16, 16, 16, 16, 16, 31],
  M: [17, 27, 21, 21, 17, 17, 17], N: [17, 17, 25, 21, 19, 17, 17], O: [14, 17, 17, 17, 17, 17, 14],
  P: [30, 17, 17, 30, 16, 16, 16], Q: [14, 17, 17, 17, 21, 18, 13], R: [30, 17, 17, 30, 20, 18, 17],
  S: [15, 16, 16, 14, 1, 1, 30], T: [31, 4, 4, 4, 4, 4, 4], U: [17, 17, 17, 17, 17, 17, 14],
  V: [17, 17, 17, 17, 17, 10, 4], W: [17, 17, 17, 21, 21, 21, 10], X: [17, 17, 10, 4, 10, 17, 17],
  Y: [17, 17, 17, 10, 4, 4, 4], Z: [31, 1, 2, 4, 8, 16, 31],
  '0': [14, 17, 19, 21, 25, 17, 14], '1': [4, 12, 4, 4, 4, 4, 14], '2': [14, 17, 1, 2, 4, 8, 31],
  '3': [31, 2, 4, 2, 1, 17, 14], '4': [2, 6, 10, 18, 31, 2, 2], '5': [31, 16, 30, 1, 1, 17, 14],
  '6': [6, 8, 16, 30, 17, 17, 14], '7': [31, 1, 2, 4, 8, 8, 8], '8': [14, 17, 17, 14, 17, 17, 14],
  '9': [14, 17, 17, 15, 1, 2, 12],
  ' ': [0, 0, 0, 0, 0, 0, 0], '-': [0, 0, 0, 31, 0, 0, 0], '.': [0, 0, 0, 0, 0, 12, 12],
  "'": [4, 4, 8, 0, 0, 0, 0], '(': [2, 4, 8, 8, 8, 4, 2], ')': [8, 4, 2, 2, 2, 4, 8],
  '/': [1, 1, 2, 4, 8, 16, 16], ':': [0, 12, 12, 0, 12, 12, 0], _: [0, 0, 0, 0, 0, 0, 31],
  ',': [0, 0, 0, 0, 12, 4, 8], '?': [14, 17, 1, 2, 4, 0, 4],
};
export const GLYPH_W = 6; // 5 px + 1 px spacing
export const GLYPH_H = 7;

export class Canvas {
  readonly pixels: Uint8Array;

  constructor(readonly width: number, readonly height: number, background: Rgb = [255, 255, 255]) {
    this.pixels = new Uint8Array(width * height * 3);
    this.fillRect(0, 0, width, height, background);
  }

  fillRect(x: number, y: number, w: number, h: number, color: Rgb): void {
    const [r, g, b] = color;
    const px = this.pixels;
    const x0 = Math.max(0, x), x1 = Math.min(this.width, x + w);
    for (let yy = Math.max(0, y); yy < Math.min(this.height, y + h); yy++) {
      for (let at = (yy * this.width + x0) * 3, end = (yy * this.width + x1) * 3; at < end; at += 3) {
        px[at] = r; px[at + 1] = g; px[at + 2] = b;
      }
    }
  }

  /** Text in the 5×7 font, each font pixel `scale` px wide; returns the width drawn. */
  text(x: number, y: number, text: string, color: Rgb, scale = 1): number {
    let cx = x;
    for (const ch of text.toUpperCase()) {
      const glyph = GLYPHS[ch] ?? GLYPHS['?']!;
      glyph.forEach((row, gy) => {
        for (let gx = 0; gx < 5; gx++) if (row & (16 >> gx)) this.fillRect(cx + gx * scale, y + gy * scale, scale, scale, color);
      });
      cx += GLYPH_W * scale;
    }
    return cx - x;
  }

  /** A grayscale image, each pixel drawn as a `scale`×`scale` block. */
  gray(x: number, y: number, img: Uint8Array, w: number, h: number, scale = 1): void {
    const px = this.pixels;
    for (let py = Math.max(0, y); py < Math.min(this.height, y + h * scale); py++) {
      const row = ((py - y) / scale | 0) * w;
      for (let qx = Math.max(0, x); qx < Math.min(this.width, x + w * scale); qx++) {
        const v = img[row + ((qx - x) / scale | 0)]!;
        const at = (py * this.width + qx) * 3;
        px[at] = v; px[at + 1] = v; px[at + 2] = v;
      }
    }
  }

  png(): Buffer {
    return encodePng(this.width, this.height, this.pixels, 3);
  }
}

export function textWidth(text: string, scale = 1): number {
  return text.length * GLYPH_W * scale;
}
