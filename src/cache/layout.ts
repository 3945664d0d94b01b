/** Where everything lives inside a cache directory (`cache/`, `--cache DIR` or DAG_CACHE). */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export class CacheLayout {
  readonly root: string;
  constructor(root: string) {
    this.root = resolve(root);
  }
  get blobs() { return join(this.root, 'blobs'); }
  get actions() { return join(this.root, 'actions'); }
  /** Staging for writes that are renamed into place; same filesystem as the stores. */
  get tmp() { return join(this.root, 'tmp'); }
  /** Per-key directories that survive a crashed stage for its retry. */
  get resume() { return join(this.root, 'resume'); }
  /** Read-only materialised trees handed to node stages as inputs (hard links into blobs/). */
  get checkouts() { return join(this.root, 'checkouts'); }
  /** Parsed pipeline files by content digest (see yaml-source.ts). */
  get parsed() { return join(this.root, 'parsed'); }
  get history() { return join(this.root, 'history.json'); }
  get statCache() { return join(this.root, 'stat-cache.json'); }
  get lock() { return join(this.root, 'lock'); }

  blobPath(digest: string): string {
    return join(this.blobs, digest.slice(0, 2), digest.slice(2));
  }
  actionPath(key: string): string {
    return join(this.actions, key.slice(0, 2), `${key.slice(2)}.json`);
  }
  resumeDir(key: string): string {
    return join(this.resume, key);
  }

  ensure(): void {
    for (const d of [this.blobs, this.actions, this.tmp, this.resume, this.checkouts]) mkdirSync(d, { recursive: true });
  }
}

/** DAG_CACHE, else `--cache`, else `cache/` beside the project root (the pipeline's directory's nearest ancestor with .git or .dag). */
export function defaultCacheDir(projectRoot: string, flag?: string): string {
  if (flag) return resolve(flag);
  if (process.env.DAG_CACHE) return resolve(process.env.DAG_CACHE);
  return join(projectRoot, 'cache');
}
