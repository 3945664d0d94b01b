import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readNpy } from '../../src/data/npy.js';
import { StrokeRenderer, pixelCorrelation } from '../../src/data/render.js';
import { readStrokeFile } from '../../src/data/strokes.js';
import { quickdrawDir, rendererCheckDir } from './fixtures.js';

const CHECK_CLASSES = ['apple', 'bicycle', 'cat', 'diamond', 'eye', 'fish'];

test("reproduces Google's own numpy_bitmap rows (renderer-check)", () => {
  const renderer = new StrokeRenderer({ size: 28 });
  const scores: { row: string; r: number }[] = [];
  for (const cls of CHECK_CLASSES) {
    const drawings = readStrokeFile(join(rendererCheckDir, `${cls}.ndjson`));
    const google = readNpy(join(rendererCheckDir, `${cls}.npy`));
    assert.equal(drawings.length, google.shape[0]);
    drawings.forEach((rec, i) => {
      const mine = renderer.render(rec.drawing);
      scores.push({ row: `${cls}#${i}`, r: pixelCorrelation(mine, google.data.subarray(i * 784, (i + 1) * 784)) });
    });
  }
  assert.equal(scores.length, 150);
  const mean = scores.reduce((a, s) => a + s.r, 0) / scores.length;
  const worst = scores.reduce((a, s) => (s.r < a.r ? s : a));
  assert.ok(mean >= 0.99, `mean correlation ${mean}`);
  assert.ok(worst.r >= 0.98, `worst row ${worst.row}: ${worst.r}`);
});

test('matches the shared numpy_bitmap files rendered from the same strokes', () => {
  const renderer = new StrokeRenderer({ size: 28 });
  for (const cls of ['The Mona Lisa', 'zigzag']) {
    const drawings = readStrokeFile(join(quickdrawDir, 'simplified', `${cls}.ndjson.gz`), 50);
    const ref = readNpy(join(quickdrawDir, 'numpy_bitmap', `${cls}.npy`));
    drawings.forEach((rec, i) => {
      const r = pixelCorrelation(renderer.render(rec.drawing), ref.data.subarray(i * 784, (i + 1) * 784));
      assert.ok(r >= 0.98, `${cls}#${i}: ${r}`);
    });
  }
});

/** Area-average resampling (exact fractional box filter) from side `from` to side `to`. */
function boxResample(img: Uint8Array, from: number, to: number): Float64Array {
  const out = new Float64Array(to * to);
  const k = from / to;
  for (let oy = 0; oy < to; oy++) {
    for (let ox = 0; ox < to; ox++) {
      let sum = 0;
      for (let y = Math.floor(oy * k); y < Math.ceil((oy + 1) * k); y++) {
        const wy = Math.min(y + 1, (oy + 1) * k) - Math.max(y, oy * k);
        for (let x = Math.floor(ox * k); x < Math.ceil((ox + 1) * k); x++) {
          const wx = Math.min(x + 1, (ox + 1) * k) - Math.max(x, ox * k);
          sum += img[y * from + x]! * wx * wy;
        }
      }
      out[oy * to + ox] = sum / (k * k);
    }
  }
  return out;
}

test('64 and 96 px renders are the same picture at a higher resolution', () => {
  const drawings = readStrokeFile(join(rendererCheckDir, 'cat.ndjson'));
  const google = readNpy(join(rendererCheckDir, 'cat.npy'));
  for (const size of [64, 96]) {
    const renderer = new StrokeRenderer({ size });
    let total = 0;
    drawings.forEach((rec, i) => {
      const big = renderer.render(rec.drawing);
      assert.equal(big.length, size * size);
      // Lines stay 16/304 of the side wide, so the area-averaged render approaches Google's 28 px.
      total += pixelCorrelation(boxResample(big, size, 28), google.data.subarray(i * 784, (i + 1) * 784));
    });
    assert.ok(total / drawings.length > 0.95, `size ${size}: mean correlation ${total / drawings.length}`);
  }
});

test('a one-point stroke is a dot and an empty drawing is black', () => {
  const renderer = new StrokeRenderer({ size: 28 });
  const dot = renderer.render([[[128], [128]]]);
  const lit = Array.from(dot).filter((v) => v > 0).length;
  assert.ok(lit >= 2 && lit <= 9, `${lit} lit pixels`);
  // Its ink is about the area of a disk of diameter 16/304 of the side (≈1.7 px²).
  const ink = Array.from(dot).reduce((a, v) => a + v, 0) / 255;
  assert.ok(ink > 1.2 && ink < 3, `ink ${ink}`);
  assert.ok(renderer.render([]).every((v) => v === 0));
});
