/** Workspace paths as they appear in deps and outs: relative, `/`-separated, no `./` or trailing `/`. */
import { posix } from 'node:path';

export function normalizeWorkspacePath(p: string): string {
  const n = posix.normalize(p.replace(/\\/g, '/')).replace(/\/+$/, '');
  return n === '' ? '.' : n;
}

/** True when `inner` is `outer` or lies inside it. */
export function pathContains(outer: string, inner: string): boolean {
  return inner === outer || outer === '.' || inner.startsWith(outer + '/');
}

/** `a/b/c` → `a/b`; a top-level name → `.`. */
export function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '.' : p.slice(0, i);
}
