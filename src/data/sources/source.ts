/** What every Quick, Draw! source offers the `data/quickdraw` node. */

export interface ClassPool {
  /** Train and test rows are kept disjoint only when both come from the same pool id. */
  id: string;
  /** Rows are fetched over the network: keep the rows a split uses together. */
  remote?: boolean;
  /** Drawings of `cls` available for images of `size` px; Infinity when unknown until read (streamed stroke files). */
  count(cls: string, size: number): Promise<number>;
  /** Images of `rows` (ascending, unique indices into the class's file) at `size` px: (rows, size, size) uint8. */
  load(cls: string, rows: readonly number[], size: number): Promise<Uint8Array>;
}

/** A pool of images without labels (a competition's test set without its answers). */
export interface UnlabeledPool {
  id: string;
  loadAll(size: number): Promise<{ images: Uint8Array; count: number }>;
}

export interface QuickDrawSource {
  /** How meta.json names the source (no absolute paths: outputs are content-hashed). */
  description: string;
  /** How the bitmaps were made, for meta.json. */
  rendering: string;
  /** Class names the source has. */
  classes(): Promise<string[]>;
  pool(split: 'train' | 'test'): ClassPool | UnlabeledPool;
}

export function isUnlabeled(pool: ClassPool | UnlabeledPool): pool is UnlabeledPool {
  return 'loadAll' in pool;
}

/** Rows of a contiguous block [first, last] holding `rows`, and each row's offset in the block. */
export function rowBlock(rows: readonly number[]): { first: number; last: number } {
  if (rows.length === 0) return { first: 0, last: -1 };
  return { first: rows[0]!, last: rows[rows.length - 1]! };
}

/** Copies the images of `rows` out of a block that starts at row `first`. */
export function pickRows(block: Uint8Array, first: number, rows: readonly number[], pixels: number): Uint8Array {
  const out = new Uint8Array(rows.length * pixels);
  rows.forEach((r, i) => out.set(block.subarray((r - first) * pixels, (r - first + 1) * pixels), i * pixels));
  return out;
}
