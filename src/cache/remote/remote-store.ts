/**
 * A remote cache speaks the Bazel HTTP remote-cache layout: content blobs under `cas/<sha256>` and
 * action entries under `ac/<key>`. `file:///path` serves the same layout from a shared or NFS
 * directory; `http(s)://host[/prefix]` from nginx with WebDAV PUT, bazel-remote or any compatible
 * store. A store moves bytes only: digests, signatures and write-once are checked by RemoteCache.
 */
import type { Readable } from 'node:stream';
import { DagUserError } from '../../util/user-error.js';
import type { ArtifactDigest } from '../hash.js';
import { FileRemoteStore } from './file-remote.js';
import { HttpRemoteStore } from './http-remote.js';

export interface RemoteStore {
  /** The URL without credentials, for messages. */
  readonly displayUrl: string;
  hasBlob(digest: ArtifactDigest): Promise<boolean>;
  /** The blob's bytes as they arrive, unverified; undefined when the remote does not have it. */
  getBlob(digest: ArtifactDigest): Promise<Readable | undefined>;
  /** Uploads the file at `path` as the blob `digest` (the caller vouches that the bytes match). */
  putBlob(digest: ArtifactDigest, path: string, size: number): Promise<void>;
  getAction(key: string): Promise<Buffer | undefined>;
  /** Write-once: an entry already there is left as it is and 'exists' is returned. */
  putAction(key: string, body: Buffer): Promise<'written' | 'exists'>;
}

/** The remote could not be reached or answered with an error: not a cache miss. */
export class RemoteUnavailableError extends Error {
  override name = 'RemoteUnavailableError';
}

export function openRemoteStore(url: string): RemoteStore {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DagUserError(`--remote: "${url}" is not a URL (use file:///shared/dir or http(s)://host[:port][/prefix])`);
  }
  if (parsed.protocol === 'file:') return new FileRemoteStore(parsed);
  if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return new HttpRemoteStore(parsed);
  throw new DagUserError(`--remote: unsupported scheme "${parsed.protocol}" in ${url} (use file:// or http(s)://)`);
}

/** Digests and keys are hex SHA-256: anything else must never reach a path or a URL. */
export function assertHexName(name: string, what: string): void {
  if (!/^[0-9a-f]{64}$/.test(name)) throw new Error(`internal: ${what} "${name}" is not a sha256 hex digest`);
}
