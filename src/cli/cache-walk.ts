/** Walks the files of the cache's stores (gc, verify, doctor). */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function* walkFiles(dir: string): Generator<{ path: string; size: number; name: string; parent: string }> {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) yield* walkFiles(p);
    else yield { path: p, size: st.size, name, parent: dir };
  }
}

export function dirSize(dir: string): number {
  let n = 0;
  for (const f of walkFiles(dir)) n += f.size;
  return n;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}
