import { defaultCacheDir } from '../cache/layout.js';
import { findProjectRoot, openCache } from '../exec/workspace.js';

/** The cache a pipeline-less command (runs, gc, verify, doctor) works on. */
export function cacheFromFlags(flags: { cache?: string }) {
  return openCache(defaultCacheDir(findProjectRoot(process.cwd()), flags.cache));
}
