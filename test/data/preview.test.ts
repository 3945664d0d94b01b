import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { runNodeInProcess } from '../../src/exec/node-runner.js';
import { readDataset } from '../../src/data/dataset.js';
import { encodePng } from '../../src/data/png.js';
import quickdraw from '../../nodes/data/quickdraw.js';
import preview from '../../nodes/data/preview.js';
import { quickdrawDir, scratchDir } from './fixtures.js';

/** Independent PNG reader for what encodePng writes (8-bit, filter 0), checking every CRC via zlib's. */
function decodePng(buf: Buffer): { width: number; height: number; channels: number; pixels: Buffer } {
  assert.deepEqual([...buf.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let at = 8;
  let width = 0, height = 0, channels = 0;
  const idat: Buffer[] = [];
  for (;;) {
    const len = buf.readUInt32BE(at);
    const type = buf.subarray(at + 4, at + 8).toString('latin1');
    const data = buf.subarray(at + 8, at + 8 + len);
    const { crc32 } = require_crc();
    assert.equal(buf.readUInt32BE(at + 8 + len), crc32(buf.subarray(at + 4, at + 8 + len)), `${type} CRC`);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      channels = data[9] === 2 ? 3 : 1;
    } else if (type === 'IDAT') idat.push(data);
    at += 12 + len;
    if (type === 'IEND') break;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    assert.equal(raw[y * (stride + 1)], 0);
    raw.copy(pixels, y * stride, y * (stride + 1) + 1, (y + 1) * (stride + 1));
  }
  return { width, height, channels, pixels };
}

/** CRC-32 (IEEE), written separately from the encoder's table so the test checks it. */
function require_crc() {
  return {
    crc32(bytes: Uint8Array): number {
      let c = ~0;
      for (const b of bytes) {
        c ^= b;
        for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
      }
      return ~c >>> 0;
    },
  };
}

test('PNG encoder round-trips gray and RGB pixels', () => {
  const gray = Uint8Array.from({ length: 7 * 5 }, (_, i) => (i * 37) % 256);
  const g = decodePng(encodePng(7, 5, gray, 1));
  assert.deepEqual([g.width, g.height, g.channels], [7, 5, 1]);
  assert.deepEqual([...g.pixels], [...gray]);
  const rgb = Uint8Array.from({ length: 3 * 4 * 3 }, (_, i) => (i * 91) % 256);
  assert.deepEqual([...decodePng(encodePng(3, 4, rgb, 3)).pixels], [...rgb]);
});

test('data/preview draws each sample of each class in its row, and a counts chart', async () => {
  const root = scratchDir('preview');
  const q = await runNodeInProcess(quickdraw, {
    params: {
      source: { type: 'dir', path: quickdrawDir },
      classes: { file: join(quickdrawDir, 'lt100-classes.txt') },
      train: { profile: { type: 'linear', max: 12, min: 1 } },
      test: { perClass: 0 },
    },
    inputs: {},
    outputRoot: join(root, 'q'),
    resumeDir: join(root, 'rq'),
  });
  const r = await runNodeInProcess(preview, {
    params: { perClass: 8, scale: 2, seed: -1 },
    inputs: { dataset: [{ path: q.outputs.train!, digest: 'x', producer: 'q', output: 'train' }] },
    outputRoot: join(root, 'p'),
    resumeDir: join(root, 'rp'),
  });
  const ds = readDataset(q.outputs.train!);
  const sheet = decodePng(readFileSync(join(r.outputs.report!, 'samples.png')));
  assert.equal(sheet.channels, 3);
  assert.equal(sheet.height, 100 * (56 + 2) + 2);
  // The last column of images holds the 8th drawing of class 0; find it via its top-left corner.
  const labelW = sheet.width - 8 * (56 + 2) - 2;
  for (const [cls, k] of [[0, 0], [0, 7], [50, 3]] as const) {
    const row = Array.from(ds.labels).indexOf(cls) + k;
    const x0 = labelW + k * 58, y0 = 2 + cls * 58;
    for (let y = 0; y < 28; y += 3) for (let x = 0; x < 28; x += 3) {
      const v = ds.images[row * 784 + y * 28 + x]!;
      const p = ((y0 + 2 * y + 1) * sheet.width + x0 + 2 * x + 1) * 3;
      assert.deepEqual([...sheet.pixels.subarray(p, p + 3)], [v, v, v], `class ${cls} sample ${k} pixel ${x},${y}`);
    }
  }
  const counts = decodePng(readFileSync(join(r.outputs.report!, 'counts.png')));
  assert.ok(counts.width > 480 && counts.height > 100 * 12);
  assert.match(readFileSync(join(r.outputs.report!, 'index.html'), 'utf8'), /<img src="samples.png"/);
});
