/**
 * Content-addressed blobs. A file is stored under the SHA-256 of its bytes; a directory is stored as
 * a tree object (canonical JSON listing names, types and child digests) under the SHA-256 of that
 * JSON — a Merkle tree, so one digest names a whole directory. Blobs are written to a temp file and
 * renamed into place, and every read checks the digest.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync, copyFileSync, createReadStream, createWriteStream, existsSync, linkSync, mkdirSync,
  readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { tempName } from './atomic.js';
import { witness } from '../exec/read-witness.js';
import { canonicalJson, sha256, sha256File, SMALL_FILE_BYTES, type ArtifactDigest } from './hash.js';
import type { CacheLayout } from './layout.js';
import type { StatCache } from './stat-cache.js';

export type OutputType = 'file' | 'tree';

/** A stored output: what an action result records per output. */
export interface StoredArtifact {
  type: OutputType;
  digest: ArtifactDigest;
  /** Total bytes of the file or of all files in the tree. */
  size: number;
}

interface TreeEntry {
  name: string;
  type: OutputType;
  digest: ArtifactDigest;
  size: number;
  exec?: true;
}

interface TreeObject {
  'dag-tree': 1;
  entries: TreeEntry[];
}

export class CorruptBlobError extends Error {
  override name = 'CorruptBlobError';
  constructor(readonly digest: ArtifactDigest, detail: string) {
    super(`cache blob ${digest.slice(0, 12)} is ${detail}`);
  }
}

/**
 * Where a blob missing from this store can be fetched (a remote cache): writes the blob to `dest`
 * and resolves true, having checked the bytes against the digest; false when it has no such blob.
 */
export type BlobFallback = (digest: ArtifactDigest, dest: string) => Promise<boolean>;

export class BlobStore {
  private fallback: BlobFallback | undefined;

  constructor(readonly layout: CacheLayout, private readonly stats: StatCache) {}

  has(digest: ArtifactDigest): boolean {
    const p = this.layout.blobPath(digest);
    const present = existsSync(p);
    // A blob is written once and only ever removed; either changes its shard directory's mtime.
    witness(dirname(p));
    return present;
  }

  /** Blobs missing locally are fetched from here when a read needs them (lazily, one at a time). */
  setFallback(fallback: BlobFallback | undefined): void {
    this.fallback = fallback;
  }

  /** Fetches a missing blob through the fallback, if there is one; true when the blob is now local. */
  async ensure(digest: ArtifactDigest): Promise<boolean> {
    if (this.has(digest)) return true;
    if (!this.fallback) return false;
    mkdirSync(this.layout.tmp, { recursive: true });
    const tmp = tempName(this.layout.tmp, 'fetch');
    try {
      if (!(await this.fallback(digest, tmp))) return false;
      if (!this.has(digest)) this.install(tmp, digest);
      return true;
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  /** Stores a file or directory; returns its digest. Unchanged files are not re-read (stat cache). */
  async put(path: string): Promise<StoredArtifact> {
    const st = statSync(path);
    return st.isDirectory() ? this.putTree(path, true) : this.putFile(path, true);
  }

  /** The digest `put` would give, without storing anything (deps of a stage). */
  async digestOf(path: string): Promise<StoredArtifact> {
    witness(path);
    const st = statSync(path);
    return st.isDirectory() ? this.putTree(path, false) : this.putFile(path, false);
  }

  private async putFile(path: string, store: boolean): Promise<StoredArtifact> {
    const { digest, size } = await this.stats.fileDigest(path);
    if (store && !this.has(digest)) {
      const tmp = tempName(this.layout.tmp, 'blob');
      mkdirSync(this.layout.tmp, { recursive: true });
      let copied: ArtifactDigest;
      if (size <= SMALL_FILE_BYTES) {
        // Store exactly the bytes that are hashed: one read, no stream.
        const bytes = readFileSync(path);
        writeFileSync(tmp, bytes);
        copied = sha256(bytes);
      } else {
        copyFileSync(path, tmp);
        copied = (await sha256File(tmp)).digest;
      }
      if (copied !== digest) {
        rmSync(tmp, { force: true });
        throw new Error(`${path} changed while it was being stored; was the command still writing it?`);
      }
      this.install(tmp, digest);
    }
    return { type: 'file', digest, size };
  }

  private async putTree(dir: string, store: boolean): Promise<StoredArtifact> {
    const entries: TreeEntry[] = [];
    witness(dir);
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const st = statSync(p);
      const child = st.isDirectory() ? await this.putTree(p, store) : await this.putFile(p, store);
      entries.push({ name, type: child.type, digest: child.digest, size: child.size, ...(st.mode & 0o100 && !st.isDirectory() ? { exec: true as const } : {}) });
    }
    const json = canonicalJson({ 'dag-tree': 1, entries } satisfies TreeObject);
    const digest = sha256(json);
    if (store && !this.has(digest)) {
      const tmp = tempName(this.layout.tmp, 'tree');
      mkdirSync(this.layout.tmp, { recursive: true });
      writeFileSync(tmp, json);
      this.install(tmp, digest);
    }
    return { type: 'tree', digest, size: entries.reduce((n, e) => n + e.size, 0) };
  }

  /** Stores bytes the caller holds (e.g. a log); returns the digest. */
  putBytes(data: string | Uint8Array): ArtifactDigest {
    const digest = sha256(data);
    if (!this.has(digest)) {
      const tmp = tempName(this.layout.tmp, 'blob');
      mkdirSync(this.layout.tmp, { recursive: true });
      writeFileSync(tmp, data);
      this.install(tmp, digest);
    }
    return digest;
  }

  private install(tmp: string, digest: ArtifactDigest): void {
    const dest = this.layout.blobPath(digest);
    mkdirSync(dirname(dest), { recursive: true });
    chmodSync(tmp, 0o444);
    renameSync(tmp, dest);
  }

  /** Checks a blob's bytes against its name; the stat cache spares re-reading an untouched blob. */
  async verifyBlob(digest: ArtifactDigest): Promise<void> {
    const p = this.layout.blobPath(digest);
    if (!(await this.ensure(digest))) throw new CorruptBlobError(digest, 'missing');
    const { digest: actual } = await this.stats.fileDigest(p);
    if (actual !== digest) throw new CorruptBlobError(digest, `corrupt (content hashes to ${actual.slice(0, 12)})`);
  }

  /** Verifies an artifact and, for a tree, everything under it. */
  async verify(artifact: { type: OutputType; digest: ArtifactDigest }): Promise<void> {
    await this.verifyBlob(artifact.digest);
    if (artifact.type === 'tree') {
      for (const e of this.readTree(artifact.digest).entries) await this.verify(e);
    }
  }

  readTree(digest: ArtifactDigest): TreeObject {
    const bytes = readFileSync(this.layout.blobPath(digest));
    if (sha256(bytes) !== digest) throw new CorruptBlobError(digest, 'corrupt (tree object)');
    const tree = JSON.parse(bytes.toString('utf8')) as TreeObject;
    if (tree['dag-tree'] !== 1 || !Array.isArray(tree.entries)) throw new CorruptBlobError(digest, 'not a tree object');
    return tree;
  }

  /** Every blob digest an artifact reaches (for gc). */
  reachable(artifact: { type: OutputType; digest: ArtifactDigest }, into: Set<ArtifactDigest>): void {
    into.add(artifact.digest);
    if (artifact.type === 'tree' && this.has(artifact.digest)) {
      try {
        for (const e of this.readTree(artifact.digest).entries) this.reachable(e, into);
      } catch {
        /* a corrupt tree reaches nothing; verify reports it */
      }
    }
  }

  /**
   * Writes an artifact to `dest` (a workspace out), checking every byte against its digest on the
   * way; the old content is replaced only once the new one is complete.
   */
  async restore(artifact: { type: OutputType; digest: ArtifactDigest }, dest: string): Promise<void> {
    mkdirSync(dirname(dest), { recursive: true });
    const tmp = tempName(dirname(dest), 'restore');
    try {
      await this.restoreInto(artifact, tmp, false);
      rmSync(dest, { recursive: true, force: true });
      renameSync(tmp, dest);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
    this.rememberRestored(artifact, dest);
  }

  private rememberRestored(artifact: { type: OutputType; digest: ArtifactDigest }, dest: string): void {
    if (artifact.type === 'file') {
      this.stats.remember(dest, artifact.digest);
      return;
    }
    for (const e of this.readTree(artifact.digest).entries) this.rememberRestored(e, join(dest, e.name));
  }

  private async restoreInto(artifact: { type: OutputType; digest: ArtifactDigest; exec?: true }, dest: string, link: boolean): Promise<void> {
    const present = await this.ensure(artifact.digest);
    if (!present) throw new CorruptBlobError(artifact.digest, 'missing');
    if (artifact.type === 'tree') {
      mkdirSync(dest, { recursive: true });
      for (const e of this.readTree(artifact.digest).entries) await this.restoreInto(e, join(dest, e.name), link);
      return;
    }
    const src = this.layout.blobPath(artifact.digest);
    if (link) {
      await this.verifyBlob(artifact.digest);
      linkSync(src, dest);
      return;
    }
    const h = createHash('sha256');
    await pipeline(
      createReadStream(src, { highWaterMark: 1 << 20 }),
      async function* (source) {
        for await (const chunk of source) {
          h.update(chunk as Buffer);
          yield chunk;
        }
      },
      createWriteStream(dest),
    );
    const actual = h.digest('hex');
    if (actual !== artifact.digest) throw new CorruptBlobError(artifact.digest, `corrupt (content hashes to ${actual.slice(0, 12)})`);
    if (artifact.exec) chmodSync(dest, 0o755);
  }

  /**
   * A read-only materialisation of a stored artifact, shared by every stage that reads it: hard
   * links into the blob store for a tree, the blob itself for a file (named `file` inside a
   * directory keyed by digest, so the path is stable).
   */
  async checkout(artifact: { type: OutputType; digest: ArtifactDigest }, fileName = 'file'): Promise<string> {
    const base = join(this.layout.checkouts, artifact.digest);
    const target = artifact.type === 'tree' ? base : join(base, fileName);
    if (existsSync(target)) return target;
    const tmp = tempName(this.layout.checkouts, 'checkout');
    try {
      if (artifact.type === 'tree') {
        await this.restoreInto(artifact, tmp, true);
      } else {
        mkdirSync(tmp, { recursive: true });
        await this.restoreInto(artifact, join(tmp, fileName), true);
      }
      if (existsSync(base)) rmSync(tmp, { recursive: true, force: true });
      else renameSync(tmp, base);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
    return existsSync(target) ? target : (this.firstFile(base) ?? target);
  }

  private firstFile(dir: string): string | undefined {
    const names = readdirSync(dir);
    return names.length ? join(dir, names[0]!) : undefined;
  }

  /** Removes a blob found corrupt so the next run recomputes it instead of failing again. */
  evict(digest: ArtifactDigest): void {
    const p = this.layout.blobPath(digest);
    this.stats.forget(p);
    rmSync(p, { force: true });
    rmSync(join(this.layout.checkouts, digest), { recursive: true, force: true });
  }
}

