/**
 * Byte-range downloads with a local cache, retries and a timeout. Google's numpy_bitmap files are
 * 100+ MB each; a dataset needs a few hundred kB of them, so we ask for exactly those bytes.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NodeUserError } from '../exec/node-contract.js';

export interface RangeFetchOptions {
  /** Where downloaded ranges are kept, keyed by URL and range. */
  cacheDir: string;
  timeoutMs: number;
  /** Attempts after the first one for network errors, 5xx and 429. */
  retries: number;
  /** First backoff; doubles each retry. */
  retryDelayMs: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface RangeResult {
  bytes: Buffer;
  /** Whole size of the remote file when the server said (Content-Range), else undefined. */
  totalSize?: number;
}

/** Cache file for one URL + range: sha256 so any URL maps to a safe file name. */
export function rangeCacheFile(cacheDir: string, url: string, start: number, end: number): string {
  const key = createHash('sha256').update(`${url}\n${start}-${end}`).digest('hex');
  return join(cacheDir, `${key}.bin`);
}

class RetryableError extends Error {}

/** Bytes [start, end] (inclusive) of `url`; fewer when the file ends first. */
export async function fetchRange(url: string, start: number, end: number, opts: RangeFetchOptions): Promise<RangeResult> {
  const file = rangeCacheFile(opts.cacheDir, url, start, end);
  const metaFile = `${file}.json`;
  if (existsSync(file) && existsSync(metaFile)) {
    const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as { totalSize?: number };
    return { bytes: readFileSync(file), totalSize: meta.totalSize };
  }
  let lastError = '';
  for (let attempt = 0; attempt <= opts.retries; attempt++) {
    if (attempt > 0) {
      const delay = opts.retryDelayMs * 2 ** (attempt - 1);
      opts.log?.(`retrying ${url} in ${delay} ms (${lastError})`);
      await sleep(delay, opts.signal);
    }
    try {
      const result = await fetchOnce(url, start, end, opts);
      mkdirSync(opts.cacheDir, { recursive: true });
      atomicWrite(file, result.bytes);
      atomicWrite(metaFile, JSON.stringify({ url, start, end, totalSize: result.totalSize }));
      return result;
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      if (!(e instanceof RetryableError)) throw e;
      lastError = e.message;
    }
  }
  throw new NodeUserError(
    `cannot download ${url} after ${opts.retries + 1} attempts (${lastError}); offline? use source {type: dir} or {type: bundled}`,
  );
}

async function fetchOnce(url: string, start: number, end: number, opts: RangeFetchOptions): Promise<RangeResult> {
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  let res: Response;
  try {
    res = await fetch(url, { headers: { Range: `bytes=${start}-${end}` }, signal });
  } catch (e) {
    if (opts.signal?.aborted) throw e;
    if (timeout.aborted) throw new RetryableError(`no answer within ${opts.timeoutMs} ms`);
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new RetryableError(cause?.code ?? cause?.message ?? (e as Error).message);
  }
  if (res.status === 416) {
    // The range starts past the end of the file: nothing there.
    await res.body?.cancel();
    return { bytes: Buffer.alloc(0), totalSize: totalFromContentRange(res.headers.get('content-range')) };
  }
  if (res.status === 429 || res.status >= 500) {
    await res.body?.cancel();
    throw new RetryableError(`HTTP ${res.status}`);
  }
  if (res.status === 404) {
    await res.body?.cancel();
    throw new NodeUserError(`${url}: not found (HTTP 404)`);
  }
  if (res.status !== 206 && res.status !== 200) {
    await res.body?.cancel();
    throw new NodeUserError(`${url}: HTTP ${res.status} ${res.statusText}`);
  }
  let body: Buffer;
  try {
    body = Buffer.from(await res.arrayBuffer());
  } catch (e) {
    if (timeout.aborted) throw new RetryableError(`download did not finish within ${opts.timeoutMs} ms`);
    throw new RetryableError(`connection lost mid-download (${(e as Error).message})`);
  }
  if (res.status === 200) {
    // The server ignored Range and sent the whole file: keep only the asked bytes.
    opts.log?.(`${url}: server ignored the Range header; downloaded ${body.length} bytes`);
    return { bytes: body.subarray(start, end + 1), totalSize: body.length };
  }
  const totalSize = totalFromContentRange(res.headers.get('content-range'));
  const announcedStart = Number(/bytes (\d+)-/.exec(res.headers.get('content-range') ?? '')?.[1] ?? start);
  if (announcedStart !== start) throw new RetryableError(`server answered range from ${announcedStart}, asked ${start}`);
  const expected = Math.min(end + 1, totalSize ?? Infinity) - start;
  if (body.length < expected) throw new RetryableError(`short read: ${body.length} of ${expected} bytes`);
  return { bytes: body, totalSize };
}

function totalFromContentRange(header: string | null): number | undefined {
  const total = /\/(\d+)\s*$/.exec(header ?? '')?.[1];
  return total === undefined ? undefined : Number(total);
}

function atomicWrite(file: string, data: Buffer | string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason);
    }, { once: true });
  });
}
