/**
 * Whether the bundled view (written by bundle-view.ts) is still what the compiled modules say.
 * A `tsc` without the bundle step recompiles the view but leaves the old bundle behind; loading
 * it would show yesterday's view, so any project file newer than when it was bundled (or gone)
 * makes the view process load the modules instead.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const BUNDLE_FILE = 'ink-reporter.bundle.js';
export const MANIFEST_FILE = 'ink-reporter.bundle.json';

export interface BundleManifest {
  /** Project files in the bundle, relative to the bundle's folder, with their mtime when bundled. */
  inputs: { path: string; mtimeMs: number }[];
}

/** The bundle's path when it exists and no project file in it changed since; else undefined. */
export function freshBundle(dir: string): string | undefined {
  try {
    const manifest = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as BundleManifest;
    const unchanged = manifest.inputs.every((input) => statSync(join(dir, input.path)).mtimeMs <= input.mtimeMs);
    return unchanged && manifest.inputs.length > 0 ? join(dir, BUNDLE_FILE) : undefined;
  } catch {
    // No bundle or manifest (never bundled, or esbuild missing), or a file in it is gone.
    return undefined;
  }
}
