// The google source against a real HTTP server on 127.0.0.1 that serves the shared files with
// Range support, laid out like Google's bucket. The network here cannot reach Google itself.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { runNodeInProcess } from '../../src/exec/node-runner.js';
import { NodeUserError } from '../../src/exec/node-contract.js';
import { readDataset } from '../../src/data/dataset.js';
import { readNpy } from '../../src/data/npy.js';
import quickdraw from '../../nodes/data/quickdraw.js';
import { quickdrawDir, scratchDir } from './fixtures.js';

interface Hit { path: string; range: string | undefined; status: number; bytes: number }
let server: Server;
let base: string;
const hits: Hit[] = [];
/** Requests to fail with 503 before answering, per path. */
const flaky = new Map<string, number>();

before(async () => {
  server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url!, 'http://x').pathname);
    const m = /^\/full\/(numpy_bitmap|simplified)\/(.+)\.(npy|ndjson)$/.exec(path);
    const record = (status: number, bytes: number) => hits.push({ path: req.url!, range: req.headers.range, status, bytes });
    if (path.endsWith('/yoga.npy')) {
      record(0, 0); // never answers: the client's timeout must end the wait
      return;
    }
    const left = flaky.get(path) ?? 0;
    if (left > 0) {
      flaky.set(path, left - 1);
      record(503, 0);
      res.writeHead(503).end();
      return;
    }
    let body: Buffer;
    try {
      if (!m || m[2] === 'zigzag') throw new Error('no such object');
      body = m[1] === 'numpy_bitmap'
        ? readFileSync(join(quickdrawDir, 'numpy_bitmap', `${m[2]}.npy`))
        : gunzipSync(readFileSync(join(quickdrawDir, 'simplified', `${m[2]}.ndjson.gz`)));
    } catch {
      record(404, 0);
      res.writeHead(404).end('not found');
      return;
    }
    const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (!range) {
      record(200, body.length);
      res.writeHead(200, { 'content-length': body.length }).end(body);
      return;
    }
    const start = Number(range[1]);
    if (start >= body.length) {
      record(416, 0);
      res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
      return;
    }
    const end = Math.min(Number(range[2]), body.length - 1);
    const part = body.subarray(start, end + 1);
    record(206, part.length);
    res.writeHead(206, { 'content-range': `bytes ${start}-${end}/${body.length}`, 'content-length': part.length }).end(part);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/full`;
});

after(() => {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});

async function run(params: Record<string, unknown>, tag: string) {
  const root = scratchDir(tag);
  const r = await runNodeInProcess(quickdraw, { params, inputs: {}, outputRoot: join(root, 'out'), resumeDir: join(root, 'resume') });
  return { train: readDataset(r.outputs.train!), test: readDataset(r.outputs.test!) };
}

function withCache<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const old = process.env.DAG_DOWNLOAD_CACHE;
  process.env.DAG_DOWNLOAD_CACHE = dir;
  return fn().finally(() => {
    if (old === undefined) delete process.env.DAG_DOWNLOAD_CACHE;
    else process.env.DAG_DOWNLOAD_CACHE = old;
  });
}

const classes = ['The Eiffel Tower', 'apple'];
const params = (extra: Record<string, unknown> = {}) => ({
  source: { type: 'google', baseUrl: base, retries: 1, retryDelayMs: 5, timeoutMs: 5000 },
  classes,
  test: { perClass: 10 },
  train: { profile: { type: 'linear', max: 30, min: 20 } },
  ...extra,
});

test('fetches the .npy header then ONE range of rows per class, and the rows are right', async () => {
  hits.length = 0;
  const cache = scratchDir('dl-cache');
  const r = await withCache(cache, () => run(params(), 'google'));
  assert.deepEqual(Object.values(r.train.meta.countsPerClass), [30, 20]);
  assert.equal(hits.length, 4);
  for (const h of hits) assert.equal(h.status, 206);
  // Spaces in class names are percent-encoded in the URL.
  assert.ok(hits.some((h) => h.path.includes('/numpy_bitmap/The%20Eiffel%20Tower.npy')));
  const rowRequests = hits.filter((h) => h.range !== 'bytes=0-4095');
  assert.equal(rowRequests.length, 2);
  // Eiffel Tower: test rows 0..9 + train rows 10..39 = 40 rows of 784 bytes, nothing more.
  assert.equal(rowRequests[0]!.bytes, 40 * 784);
  const file = readNpy(join(quickdrawDir, 'numpy_bitmap', 'The Eiffel Tower.npy')).data as Uint8Array;
  assert.deepEqual(r.test.images.subarray(0, 10 * 784), file.subarray(0, 10 * 784));
  assert.deepEqual(r.train.images.subarray(0, 30 * 784), file.subarray(10 * 784, 40 * 784));

  // A second run with the same download cache asks the server nothing.
  hits.length = 0;
  const again = await withCache(cache, () => run(params(), 'google-again'));
  assert.equal(hits.length, 0);
  assert.deepEqual(again.train.images, r.train.images);
});

test('retries 503s with backoff, then succeeds', async () => {
  hits.length = 0;
  flaky.set('/full/numpy_bitmap/apple.npy', 2);
  const r = await run(params({ source: { type: 'google', baseUrl: base, retries: 3, retryDelayMs: 5 }, classes: ['apple'] }), 'flaky');
  assert.equal(r.train.count, 30);
  assert.equal(hits.filter((h) => h.status === 503).length, 2);
});

test('renders simplified strokes at 64 px from growing ranges, identical to the dir source', async () => {
  hits.length = 0;
  const p = params({ size: 64, classes: ['apple'], test: { perClass: 3 }, train: { profile: { type: 'constant', perClass: 5 } } });
  const google = await run(p, 'google64');
  const local = await run({ ...p, source: { type: 'dir', path: quickdrawDir } }, 'dir64');
  assert.equal(google.train.height, 64);
  assert.deepEqual(google.train.images, local.train.images);
  assert.deepEqual(google.test.images, local.test.images);
  assert.ok(hits.every((h) => h.path.includes('/simplified/apple.ndjson') && h.status === 206));
});

test('unreachable server, missing class file: one clear error each', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  await assert.rejects(
    run(params({ source: { type: 'google', baseUrl: `http://127.0.0.1:${port}/full`, retries: 1, retryDelayMs: 5 } }), 'offline'),
    (e: Error) => e instanceof NodeUserError && /cannot download http:\/\/127\.0\.0\.1:\d+\/full\/numpy_bitmap\/The%20Eiffel%20Tower\.npy after 2 attempts \(ECONNREFUSED\); offline\?/.test(e.message),
  );
  await assert.rejects(
    run(params({ classes: ['zigzag'] }), 'notfound'),
    (e: Error) => e instanceof NodeUserError && /numpy_bitmap\/zigzag\.npy: not found \(HTTP 404\)/.test(e.message),
  );
});

test('order: shuffled on Google still fetches one small range: it shuffles the leading rows', async () => {
  hits.length = 0;
  const root = scratchDir('google-shuffled');
  const r = await runNodeInProcess(quickdraw, {
    params: params({ order: 'shuffled', seed: 4, classes: ['apple'] }),
    inputs: {},
    outputRoot: join(root, 'out'),
    resumeDir: join(root, 'resume'),
  });
  const rows = (split: string) => Array.from(readNpy(join(r.outputs[split]!, 'rows.npy')).data as Int32Array);
  assert.equal(hits.length, 2);
  assert.equal(hits[1]!.bytes, 40 * 784);
  const test = rows('test');
  assert.deepEqual([...test, ...rows('train')].sort((a, b) => a - b), Array.from({ length: 40 }, (_, i) => i));
  assert.notDeepEqual(test, Array.from({ length: 10 }, (_, i) => i));
});

test('a server that never answers times out, is retried, then named in the error', async () => {
  hits.length = 0;
  await assert.rejects(
    run(params({ source: { type: 'google', baseUrl: base, retries: 1, retryDelayMs: 5, timeoutMs: 200 }, classes: ['yoga'] }), 'timeout'),
    (e: Error) => e instanceof NodeUserError && /yoga\.npy after 2 attempts \(no answer within 200 ms\)/.test(e.message),
  );
  assert.equal(hits.length, 2);
});
