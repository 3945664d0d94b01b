/**
 * Remembers the digest of a file by its stat signature (inode, size, mtime, ctime) so an unchanged
 * file is not re-hashed by every `status`. ctime is part of the signature because no ordinary tool
 * can set it: a rewrite that restores the old mtime is still seen.
 */
import { readFileSync, statSync, type Stats } from 'node:fs';
import { writeFileAtomic } from './atomic.js';
import { witness } from '../exec/read-witness.js';
import { sha256File, type ArtifactDigest } from './hash.js';

interface Entry {
  sig: string;
  digest: ArtifactDigest;
}

function signature(st: Stats): string {
  return `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}

export class StatCache {
  private entries = new Map<string, Entry>();
  private dirty = false;

  constructor(private readonly file: string) {
    try {
      const data = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Entry>;
      this.entries = new Map(Object.entries(data));
    } catch {
      // Absent or unreadable: an empty cache only costs re-hashing.
    }
  }

  /** Digest of a regular file, from the cache when its stat signature is unchanged. */
  async fileDigest(path: string, st: Stats = statSync(path)): Promise<{ digest: ArtifactDigest; size: number }> {
    witness(path);
    const sig = signature(st);
    const hit = this.entries.get(path);
    if (hit && hit.sig === sig) return { digest: hit.digest, size: st.size };
    const r = await sha256File(path, st.size);
    // A file written while it was hashed gets a new signature; store the pre-hash one only if unchanged.
    const after = statSync(path);
    if (signature(after) === sig) {
      this.entries.set(path, { sig, digest: r.digest });
      this.dirty = true;
    }
    return r;
  }

  /** Records a digest the caller knows (it just wrote the file from verified content). */
  remember(path: string, digest: ArtifactDigest): void {
    try {
      this.entries.set(path, { sig: signature(statSync(path)), digest });
      this.dirty = true;
    } catch {
      /* gone already */
    }
  }

  forget(path: string): void {
    if (this.entries.delete(path)) this.dirty = true;
  }

  save(): void {
    if (!this.dirty) return;
    writeFileAtomic(this.file, JSON.stringify(Object.fromEntries(this.entries)));
    this.dirty = false;
  }
}
