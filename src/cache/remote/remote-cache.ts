/**
 * A remote cache seen from one local cache: looks up action entries (checking their signature and
 * that they answer the key asked), downloads blobs into the local store only when something needs
 * them (each checked against its digest on the way), and pushes results (blobs first, then the
 * write-once, optionally signed, entry — an entry's presence means its blobs are there).
 */
import { createHash } from 'node:crypto';
import { createWriteStream, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ActionResult } from '../action-cache.js';
import { writeFileAtomic } from '../atomic.js';
import { CorruptBlobError, type OutputType } from '../blob-store.js';
import type { ArtifactDigest } from '../hash.js';
import type { CacheHandles } from '../../exec/workspace.js';
import { DagUserError } from '../../util/user-error.js';
import { openRemoteStore, RemoteUnavailableError, type RemoteStore } from './remote-store.js';
import { loadSigningKey, loadTrustedKeys, openEntry, sealEntry, type SigningKey } from './signing.js';
import type { KeyObject } from 'node:crypto';

export interface RemoteFlags {
  remote?: string;
  signKey?: string;
  trustedKeys?: string;
}

/** `--remote`, `--sign-key`, `--trusted-keys`, else DAG_REMOTE, DAG_SIGN_KEY, DAG_TRUSTED_KEYS. */
export function resolveRemoteFlags(flags: RemoteFlags): Required<Pick<RemoteFlags, 'remote'>> & RemoteFlags | undefined {
  const remote = flags.remote ?? process.env.DAG_REMOTE;
  const signKey = flags.signKey ?? process.env.DAG_SIGN_KEY;
  const trustedKeys = flags.trustedKeys ?? process.env.DAG_TRUSTED_KEYS;
  if (!remote) {
    if (flags.signKey || flags.trustedKeys) throw new DagUserError('--sign-key and --trusted-keys need --remote URL (or DAG_REMOTE)');
    return undefined;
  }
  return { remote, ...(signKey ? { signKey } : {}), ...(trustedKeys ? { trustedKeys } : {}) };
}

export type RemoteLookup =
  | { status: 'hit'; result: ActionResult; signedBy?: string }
  | { status: 'miss' }
  /** There is an entry, but it is not one this client may use (unsigned, foreign key, malformed). */
  | { status: 'rejected'; reason: string };

export interface PushCounts {
  blobsUploaded: number;
  blobsPresent: number;
  bytesUploaded: number;
}

const PARALLEL_TRANSFERS = 8;

export class RemoteCache {
  /**
   * Digests whose remote copy failed verification: re-uploaded even though the remote "has" them.
   * Kept in the local cache, so a later run that recomputes the blob still repairs the remote.
   */
  private readonly corrupt: Set<ArtifactDigest>;
  /** Digests known to be on the remote already (this process uploaded or saw them). */
  private readonly present = new Set<ArtifactDigest>();
  /** What this process fetched, for `pull`'s report. */
  readonly downloaded = { blobs: 0, bytes: 0 };

  constructor(
    readonly store: RemoteStore,
    private readonly local: CacheHandles,
    private readonly signer?: SigningKey,
    private readonly trusted?: Map<string, KeyObject>,
  ) {
    this.corrupt = new Set(readJsonList(this.corruptFile));
  }

  private get corruptFile(): string {
    return join(this.local.layout.root, 'remote-corrupt.json');
  }

  private saveCorrupt(): void {
    writeFileAtomic(this.corruptFile, JSON.stringify([...this.corrupt]));
  }

  static open(flags: RemoteFlags & { remote: string }, local: CacheHandles): RemoteCache {
    return new RemoteCache(
      openRemoteStore(flags.remote), local,
      flags.signKey ? loadSigningKey(flags.signKey) : undefined,
      flags.trustedKeys ? loadTrustedKeys(flags.trustedKeys) : undefined,
    );
  }

  get url(): string {
    return this.store.displayUrl;
  }

  /** From now on a blob missing from the local store is fetched from this remote when read. */
  attachToLocalStore(): void {
    this.local.blobs.setFallback((digest, dest) => this.download(digest, dest));
  }

  async lookup(key: string): Promise<RemoteLookup> {
    const bytes = await this.store.getAction(key);
    if (!bytes) return { status: 'miss' };
    const opened = openEntry(bytes, this.trusted);
    if (!opened.ok) return { status: 'rejected', reason: `remote entry ${key.slice(0, 12)} rejected: ${opened.reason}` };
    let result: ActionResult;
    try {
      result = JSON.parse(opened.resultJson) as ActionResult;
    } catch {
      return { status: 'rejected', reason: `remote entry ${key.slice(0, 12)} rejected: result is not valid JSON` };
    }
    const problem = checkResultShape(result, key);
    if (problem) return { status: 'rejected', reason: `remote entry ${key.slice(0, 12)} rejected: ${problem}` };
    return { status: 'hit', result, ...(opened.signedBy ? { signedBy: opened.signedBy } : {}) };
  }

  /** Writes the blob to `dest` if the remote has it, checking the bytes against the digest as they arrive. */
  async download(digest: ArtifactDigest, dest: string): Promise<boolean> {
    const stream = await this.store.getBlob(digest);
    if (!stream) return false;
    const h = createHash('sha256');
    let bytes = 0;
    try {
      await pipeline(stream, async function* (src) {
        for await (const chunk of src) {
          h.update(chunk as Buffer);
          bytes += (chunk as Buffer).length;
          yield chunk;
        }
      }, createWriteStream(dest));
    } catch (err) {
      rmSync(dest, { force: true });
      throw new RemoteUnavailableError(`remote cache ${this.url}: download of blob ${digest.slice(0, 12)} failed (${(err as Error).message})`);
    }
    const actual = h.digest('hex');
    if (actual !== digest) {
      rmSync(dest, { force: true });
      this.corrupt.add(digest);
      this.saveCorrupt();
      this.present.delete(digest);
      throw new CorruptBlobError(digest, `corrupt on the remote ${this.url} (content hashes to ${actual.slice(0, 12)})`);
    }
    this.present.add(digest);
    this.downloaded.blobs++;
    this.downloaded.bytes += bytes;
    return true;
  }

  /** Uploads a result's blobs the remote lacks, then its entry (never replacing an existing one). */
  async pushResult(result: ActionResult): Promise<PushCounts & { entry: 'written' | 'exists' }> {
    const counts: PushCounts = { blobsUploaded: 0, blobsPresent: 0, bytesUploaded: 0 };
    const digests = new Set<ArtifactDigest>();
    for (const out of Object.values(result.outputs)) await this.collect(out, digests);
    if (result.log) digests.add(result.log);
    await this.pushBlobs([...digests], counts);
    const entry = await this.store.putAction(result.key, sealEntry(JSON.stringify(result), this.signer));
    return { ...counts, entry };
  }

  /** Uploads an artifact (a file, or a tree with everything under it) that the remote lacks. */
  async pushArtifact(artifact: { type: OutputType; digest: ArtifactDigest }, counts: PushCounts): Promise<void> {
    const digests = new Set<ArtifactDigest>();
    await this.collect(artifact, digests);
    await this.pushBlobs([...digests], counts);
  }

  private async collect(artifact: { type: OutputType; digest: ArtifactDigest }, into: Set<ArtifactDigest>): Promise<void> {
    into.add(artifact.digest);
    if (artifact.type !== 'tree') return;
    await this.local.blobs.verifyBlob(artifact.digest);
    for (const e of this.local.blobs.readTree(artifact.digest).entries) await this.collect(e, into);
  }

  private async pushBlobs(digests: ArtifactDigest[], counts: PushCounts): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < digests.length) {
        const d = digests[next++]!;
        if (this.present.has(d) || (!this.corrupt.has(d) && (await this.store.hasBlob(d)))) {
          counts.blobsPresent++;
          this.present.add(d);
          continue;
        }
        // Only bytes that still match their digest leave this machine.
        await this.local.blobs.verifyBlob(d);
        const { size } = await this.local.stats.fileDigest(this.local.layout.blobPath(d));
        await this.store.putBlob(d, this.local.layout.blobPath(d), size);
        if (this.corrupt.delete(d)) this.saveCorrupt();
        this.present.add(d);
        counts.blobsUploaded++;
        counts.bytesUploaded += size;
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_TRANSFERS, digests.length) }, worker));
  }
}

/** An entry must answer the key it is stored under and name its outputs by well-formed digests. */
function checkResultShape(result: ActionResult, key: string): string | undefined {
  if (!result || typeof result !== 'object' || result.schema !== 1) return 'unknown result schema';
  if (result.key !== key) return `it is the result of key ${String(result.key).slice(0, 12)}, not of this key`;
  if (!result.outputs || typeof result.outputs !== 'object') return 'no outputs';
  for (const [name, out] of Object.entries(result.outputs)) {
    if ((out?.type !== 'file' && out?.type !== 'tree') || !/^[0-9a-f]{64}$/.test(String(out.digest))) return `output ${name} is malformed`;
  }
  if (result.log !== undefined && !/^[0-9a-f]{64}$/.test(String(result.log))) return 'log digest is malformed';
  return undefined;
}

export { RemoteUnavailableError };

function readJsonList(file: string): string[] {
  try {
    const list = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return Array.isArray(list) ? list.filter((d): d is string => typeof d === 'string') : [];
  } catch {
    return [];
  }
}
