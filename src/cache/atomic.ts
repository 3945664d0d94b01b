/** Atomic file writes: a reader sees the old content or the new, never half of one. */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let counter = 0;
/** Unique among live processes (pid) and within this one (counter); no entropy needed. */
export function tempName(dir: string, hint = 'tmp'): string {
  return join(dir, `.${hint}.${process.pid}.${(counter++).toString(36)}`);
}

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = tempName(dir);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
