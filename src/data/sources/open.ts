/** The `source` param of `data/quickdraw` and the factory that turns it into a source. */
import { join } from 'node:path';
import { z } from 'zod';
import { NodeUserError } from '../../exec/node-contract.js';
import { ArraysSource } from './arrays.js';
import { BundledSource } from './bundled.js';
import { DirSource } from './dir.js';
import { GOOGLE_BASE_URL, GoogleSource } from './google.js';
import type { QuickDrawSource } from './source.js';

const classNames = z.union([z.array(z.string()), z.object({ file: z.string() })]);

export const sourceSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('dir'),
    /**
     * Folder of <class>.npy and/or <class>.ndjson(.gz), relative to the working directory. Omit it
     * and wire the folder to the node's `dir` input instead to key the stage on the folder's content.
     */
    path: z.string().optional(),
    format: z.enum(['auto', 'npy', 'ndjson']).default('auto'),
  }),
  z.object({ type: z.literal('bundled') }),
  z.object({
    type: z.literal('arrays'),
    trainImages: z.string(),
    trainLabels: z.string(),
    testImages: z.string().optional(),
    testLabels: z.string().optional(),
    classNames: classNames.optional(),
  }),
  z.object({
    type: z.literal('google'),
    baseUrl: z.string().default(GOOGLE_BASE_URL),
    format: z.enum(['auto', 'npy', 'ndjson']).default('auto'),
    timeoutMs: z.number().int().positive().default(60_000),
    retries: z.number().int().min(0).default(4),
    retryDelayMs: z.number().int().min(0).default(1000),
  }),
]);

export type SourceSpec = z.infer<typeof sourceSchema>;

export interface SourceContext {
  /** The folder wired to the node's `dir` input, if any. */
  dirInput?: { path: string; producer: string };
  resumeDir: string;
  signal: AbortSignal;
  log(line: string): void;
}

/**
 * Downloads are cached in $DAG_DOWNLOAD_CACHE when set (shared by every stage and run), else in
 * the stage's resume directory, which survives retries of the stage but not its success.
 */
export function downloadCacheDir(ctx: SourceContext): string {
  return process.env.DAG_DOWNLOAD_CACHE || join(ctx.resumeDir, 'downloads');
}

export function openSource(spec: SourceSpec, ctx: SourceContext): QuickDrawSource {
  switch (spec.type) {
    case 'dir': {
      if (spec.path !== undefined) return new DirSource(spec.path, spec.format);
      if (!ctx.dirInput) throw new NodeUserError('source {type: dir} needs a path or a folder wired to the input "dir"');
      return new DirSource(ctx.dirInput.path, spec.format, ctx.dirInput.producer);
    }
    case 'bundled':
      return new BundledSource();
    case 'arrays':
      return new ArraysSource(spec);
    case 'google':
      return new GoogleSource(spec.baseUrl, spec.format, {
        cacheDir: downloadCacheDir(ctx),
        timeoutMs: spec.timeoutMs,
        retries: spec.retries,
        retryDelayMs: spec.retryDelayMs,
        signal: ctx.signal,
        log: ctx.log,
      });
  }
}
