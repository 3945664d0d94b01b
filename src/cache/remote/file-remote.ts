/**
 * A remote cache in a directory (shared disk, NFS): `cas/<sha256>` and `ac/<key>` files. Blobs are
 * written to a temp file and renamed into place; action entries are linked into place, which fails
 * when the name exists, so two writers cannot overwrite each other's entry.
 */
import { copyFileSync, createReadStream, existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import { tempName } from '../atomic.js';
import { assertHexName, RemoteUnavailableError, type RemoteStore } from './remote-store.js';

export class FileRemoteStore implements RemoteStore {
  readonly displayUrl: string;
  private readonly root: string;

  constructor(url: URL) {
    this.root = fileURLToPath(url);
    this.displayUrl = url.href;
  }

  private cas(digest: string): string {
    assertHexName(digest, 'blob digest');
    return join(this.root, 'cas', digest);
  }

  private ac(key: string): string {
    assertHexName(key, 'action key');
    return join(this.root, 'ac', key);
  }

  private ensureRoot(): void {
    if (!existsSync(this.root)) throw new RemoteUnavailableError(`remote cache directory ${this.root} does not exist`);
  }

  async hasBlob(digest: string): Promise<boolean> {
    return existsSync(this.cas(digest));
  }

  async getBlob(digest: string): Promise<Readable | undefined> {
    const p = this.cas(digest);
    if (!existsSync(p)) return undefined;
    return createReadStream(p, { highWaterMark: 1 << 20 });
  }

  async putBlob(digest: string, path: string): Promise<void> {
    this.ensureRoot();
    const dir = join(this.root, 'cas');
    mkdirSync(dir, { recursive: true });
    const tmp = tempName(dir, 'put');
    try {
      copyFileSync(path, tmp);
      renameSync(tmp, this.cas(digest));
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  async getAction(key: string): Promise<Buffer | undefined> {
    try {
      return readFileSync(this.ac(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async putAction(key: string, body: Buffer): Promise<'written' | 'exists'> {
    this.ensureRoot();
    const dir = join(this.root, 'ac');
    mkdirSync(dir, { recursive: true });
    const tmp = tempName(dir, 'put');
    try {
      writeFileSync(tmp, body);
      linkSync(tmp, this.ac(key));
      return 'written';
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return 'exists';
      throw err;
    } finally {
      rmSync(tmp, { force: true });
    }
  }
}
