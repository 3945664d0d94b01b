/**
 * A folder (or its `numpy_bitmap/` and `simplified/` subfolders) of `<class>.npy` (numpy_bitmap layout) and/or `<class>.ndjson[.gz]` (simplified strokes),
 * like ../shared/data/quickdraw. Bitmaps are used as they are when they have the asked size;
 * otherwise, or when only strokes exist, the strokes are rendered the way Google renders them.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { NodeUserError } from '../../exec/node-contract.js';
import { cannotRead } from '../user-file.js';
import { readNpyHeader, readNpyRows, type NpyHeader } from '../npy.js';
import { StrokeRenderer, type Drawing } from '../render.js';
import { readStrokeFile } from '../strokes.js';
import { pickRows, rowBlock, type ClassPool, type QuickDrawSource } from './source.js';

export type DirFormat = 'auto' | 'npy' | 'ndjson';

interface ClassFiles {
  npy?: string;
  strokes?: string;
}

export class DirSource implements QuickDrawSource {
  readonly description: string;
  readonly rendering: string;
  private readonly files = new Map<string, ClassFiles>();
  private readonly headers = new Map<string, NpyHeader>();
  private readonly drawings = new Map<string, Drawing[]>();
  private readonly renderers = new Map<number, StrokeRenderer>();

  /** `path` is read from disk; `label` is how meta.json names it. */
  constructor(
    private readonly path: string,
    private readonly format: DirFormat,
    label = path,
  ) {
    this.description = `dir:${label}`;
    this.rendering = format === 'npy' ? 'numpy_bitmap files' : 'numpy_bitmap files, or strokes rendered like Google (width 16/256, padding 16, centred, anti-aliased)';
    // Files may sit in the folder itself or in numpy_bitmap/ and simplified/ as in Google's bucket.
    for (const sub of ['', 'numpy_bitmap', 'simplified']) {
      const folder = sub ? join(path, sub) : path;
      let names: string[];
      try {
        names = readdirSync(folder);
      } catch (e) {
        if (sub) continue;
        throw cannotRead(`source dir ${path}`, e);
      }
      for (const name of names) {
        const m = /^(.*)\.(npy|ndjson|ndjson\.gz)$/.exec(name);
        if (!m) continue;
        const entry = this.files.get(m[1]!) ?? {};
        if (m[2] === 'npy') entry.npy ??= join(folder, name);
        else if (!entry.strokes || m[2] === 'ndjson') entry.strokes = join(folder, name);
        this.files.set(m[1]!, entry);
      }
    }
    if (this.files.size === 0) throw new NodeUserError(`source dir ${path}: no <class>.npy or <class>.ndjson(.gz) files`);
  }

  async classes(): Promise<string[]> {
    return [...this.files.keys()].sort();
  }

  pool(): ClassPool {
    return {
      id: this.description,
      count: async (cls) => this.count(cls),
      load: async (cls, rows, size) => this.load(cls, rows, size),
    };
  }

  /** Bitmaps when they fit the size and format, else strokes; a clear error when neither does. */
  private choose(cls: string, size: number | undefined): { kind: 'npy'; file: string } | { kind: 'strokes'; file: string } {
    const f = this.files.get(cls);
    if (!f) throw new NodeUserError(`source dir ${this.path}: no file for class "${cls}"`);
    const npyFits = f.npy !== undefined && this.format !== 'ndjson' && (size === undefined || this.bitmapSide(f.npy) === size);
    if (npyFits) return { kind: 'npy', file: f.npy! };
    if (f.strokes !== undefined && this.format !== 'npy') return { kind: 'strokes', file: f.strokes };
    const why = f.npy === undefined
      ? `has no ${cls}.npy`
      : this.format === 'ndjson'
        ? 'was asked for strokes (format: ndjson)'
        : `has ${cls}.npy at ${this.bitmapSide(f.npy)} px only`;
    throw new NodeUserError(`source dir ${this.path}: class "${cls}" ${why} and no strokes (${cls}.ndjson or .ndjson.gz) to render at ${size ?? 28} px`);
  }

  private header(file: string): NpyHeader {
    let h = this.headers.get(file);
    if (!h) {
      h = readNpyHeader(file);
      const flat = h.shape.slice(1).reduce((a, b) => a * b, 1);
      const side = Math.round(Math.sqrt(flat));
      if (h.dtype !== 'uint8' || h.shape.length < 2 || h.shape.length > 3 || side * side !== flat) {
        throw new NodeUserError(`${file}: expected numpy_bitmap images (N, 784) uint8, got ${h.dtype} (${h.shape.join(', ')})`);
      }
      this.headers.set(file, h);
    }
    return h;
  }

  private bitmapSide(file: string): number {
    const h = this.header(file);
    return Math.round(Math.sqrt(h.shape.slice(1).reduce((a, b) => a * b, 1)));
  }

  private strokes(file: string): Drawing[] {
    let d = this.drawings.get(file);
    if (!d) {
      d = readStrokeFile(file).map((r) => r.drawing);
      this.drawings.set(file, d);
    }
    return d;
  }

  private count(cls: string): number {
    // Counting does not depend on size: bitmaps and strokes of one class hold the same drawings.
    const f = this.files.get(cls);
    if (!f) throw new NodeUserError(`source dir ${this.path}: no file for class "${cls}"`);
    if (f.npy && this.format !== 'ndjson') return this.header(f.npy).shape[0]!;
    return this.strokes(this.choose(cls, undefined).file).length;
  }

  private load(cls: string, rows: readonly number[], size: number): Uint8Array {
    const choice = this.choose(cls, size);
    if (choice.kind === 'npy') {
      const { first, last } = rowBlock(rows);
      if (rows.length === 0) return new Uint8Array(0);
      const block = readNpyRows(choice.file, first, last + 1);
      return pickRows(block.data as Uint8Array, first, rows, size * size);
    }
    const drawings = this.strokes(choice.file);
    let renderer = this.renderers.get(size);
    if (!renderer) this.renderers.set(size, (renderer = new StrokeRenderer({ size })));
    const out = new Uint8Array(rows.length * size * size);
    rows.forEach((r, i) => {
      const d = drawings[r];
      if (!d) throw new NodeUserError(`${choice.file}: row ${r} asked, file has ${drawings.length} drawings`);
      renderer.render(d, out, i * size * size);
    });
    return out;
  }
}
