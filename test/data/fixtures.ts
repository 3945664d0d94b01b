// Locations of the shared real data and scratch directories for the data tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Compiled tests run from dist/test/data, three levels below the repository root. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const quickdrawDir = join(repoRoot, '..', 'shared', 'data', 'quickdraw');
export const rendererCheckDir = join(quickdrawDir, 'renderer-check');

const scratch: string[] = [];
// Datasets written by the tests are tens of MB; leave nothing behind in the temp folder.
process.on('exit', () => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

export function scratchDir(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), `dag-data-${tag}-`));
  scratch.push(dir);
  return dir;
}
