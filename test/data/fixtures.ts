// Locations of the shared real data and scratch directories for the data tests.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Compiled tests run from dist/test/data, three levels below the repository root. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const quickdrawDir = join(repoRoot, '..', 'shared', 'data', 'quickdraw');
export const rendererCheckDir = join(quickdrawDir, 'renderer-check');

export function scratchDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `dag-data-${tag}-`));
}
