/**
 * The Bazel HTTP remote-cache protocol: GET/HEAD/PUT of `<base>/cas/<sha256>` and `<base>/ac/<key>`.
 * Credentials in the URL (`https://user:token@host/`) become a Basic Authorization header and are
 * never printed. Transient failures (connection refused, 5xx) are retried with backoff.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { assertHexName, RemoteUnavailableError, type RemoteStore } from './remote-store.js';

type RequestBody = NonNullable<RequestInit['body']>;

const ATTEMPTS = 3;
/** Small bodies are sent from memory: a fixed Content-Length suits every server; large ones stream. */
const STREAM_ABOVE_BYTES = 32 << 20;

export class HttpRemoteStore implements RemoteStore {
  readonly displayUrl: string;
  private readonly base: string;
  private readonly headers: Record<string, string> = {};

  constructor(url: URL) {
    if (url.username || url.password) {
      const cred = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      this.headers.authorization = `Basic ${Buffer.from(cred).toString('base64')}`;
    }
    const clean = new URL(url.href);
    clean.username = '';
    clean.password = '';
    this.displayUrl = clean.href;
    this.base = clean.href.replace(/\/+$/, '');
  }

  private url(kind: 'cas' | 'ac', name: string): string {
    assertHexName(name, kind === 'cas' ? 'blob digest' : 'action key');
    return `${this.base}/${kind}/${name}`;
  }

  private async request(method: string, url: string, init: { body?: () => RequestBody; size?: number; headers?: Record<string, string> } = {}): Promise<Response> {
    let lastError = '';
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        const headers: Record<string, string> = { ...this.headers, ...init.headers };
        if (init.size !== undefined) headers['content-length'] = String(init.size);
        const res = await fetch(url, {
          method, headers,
          ...(init.body ? { body: init.body(), duplex: 'half' } : {}),
        } as RequestInit);
        if (res.status < 500) return res;
        lastError = `${res.status} ${res.statusText}`;
        await res.body?.cancel();
      } catch (err) {
        lastError = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
      }
      if (attempt < ATTEMPTS) await new Promise((r) => setTimeout(r, 200 * 4 ** (attempt - 1)));
    }
    throw new RemoteUnavailableError(`remote cache ${this.displayUrl}: ${method} failed (${lastError})`);
  }

  private unexpected(method: string, res: Response): RemoteUnavailableError {
    return new RemoteUnavailableError(`remote cache ${this.displayUrl}: ${method} answered ${res.status} ${res.statusText}`);
  }

  async hasBlob(digest: string): Promise<boolean> {
    const res = await this.request('HEAD', this.url('cas', digest));
    if (res.status === 404) return false;
    if (res.ok) return true;
    throw this.unexpected('HEAD', res);
  }

  async getBlob(digest: string): Promise<Readable | undefined> {
    const res = await this.request('GET', this.url('cas', digest));
    if (res.status === 404) return undefined;
    if (!res.ok || !res.body) throw this.unexpected('GET', res);
    return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
  }

  async putBlob(digest: string, path: string, size: number): Promise<void> {
    const body = size > STREAM_ABOVE_BYTES
      ? () => Readable.toWeb(createReadStream(path, { highWaterMark: 1 << 20 })) as unknown as RequestBody
      : () => readFileSync(path);
    const res = await this.request('PUT', this.url('cas', digest), { body, size });
    await res.body?.cancel();
    if (!res.ok) throw this.unexpected('PUT', res);
  }

  async getAction(key: string): Promise<Buffer | undefined> {
    const res = await this.request('GET', this.url('ac', key));
    if (res.status === 404) return undefined;
    if (!res.ok) throw this.unexpected('GET', res);
    return Buffer.from(await res.arrayBuffer());
  }

  /**
   * HTTP has no portable create-only PUT (nginx's WebDAV overwrites), so the entry is checked first
   * and the PUT carries `If-None-Match: *` for servers that honour it (412: someone was first).
   * Two clients racing on one new key past both checks each write a valid entry for that key.
   */
  async putAction(key: string, body: Buffer): Promise<'written' | 'exists'> {
    const url = this.url('ac', key);
    const head = await this.request('HEAD', url);
    if (head.ok) return 'exists';
    if (head.status !== 404) throw this.unexpected('HEAD', head);
    const res = await this.request('PUT', url, { body: () => body, size: body.length, headers: { 'if-none-match': '*' } });
    await res.body?.cancel();
    if (res.status === 412) return 'exists';
    if (!res.ok) throw this.unexpected('PUT', res);
    return 'written';
  }
}
