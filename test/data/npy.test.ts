import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NodeUserError } from '../../src/exec/node-contract.js';
import { asImageStack, asLabels, decodeNpy, encodeNpy, readNpy, readNpyRows, writeNpy } from '../../src/data/npy.js';
import { quickdrawDir, scratchDir } from './fixtures.js';

const appleFile = join(quickdrawDir, 'numpy_bitmap', 'apple.npy');

/** A header in any of the three versions, written by hand the way NumPy lays it out. */
function handMade(version: 1 | 2 | 3, descr: string, shape: string, body: Buffer): Buffer {
  const prefix = version === 1 ? 10 : 12;
  let text = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = prefix + text.length + 1;
  text += ' '.repeat(Math.ceil(total / 64) * 64 - total) + '\n';
  const head = Buffer.alloc(prefix);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]).copy(head);
  head[6] = version;
  if (version === 1) head.writeUInt16LE(text.length, 8);
  else head.writeUInt32LE(text.length, 8);
  return Buffer.concat([head, Buffer.from(text), body]);
}

test('reads a real numpy_bitmap file as (N,784) uint8', () => {
  const arr = readNpy(appleFile);
  assert.equal(arr.dtype, 'uint8');
  assert.deepEqual(arr.shape, [300, 784]);
  const stack = asImageStack(arr, appleFile);
  assert.deepEqual(stack.shape, [300, 28, 28]);
  // White strokes on black: mostly zeros, some saturated pixels in every drawing.
  const first = arr.data.subarray(0, 784);
  assert.ok(first.filter((v) => v === 0).length > 400);
  assert.ok(first.some((v) => v === 255));
});

test('row-range read equals the same rows of a full read', () => {
  const full = readNpy(appleFile);
  const part = readNpyRows(appleFile, 100, 110);
  assert.deepEqual(part.shape, [10, 784]);
  assert.deepEqual(Array.from(part.data), Array.from(full.data.subarray(100 * 784, 110 * 784)));
});

test('round-trips uint8, int32 and float32 through encode/decode, (N,28,28) and (N,784)', () => {
  const dir = scratchDir('npy');
  const imgs = { dtype: 'uint8' as const, shape: [3, 28, 28], data: new Uint8Array(3 * 784).map((_, i) => i % 251) };
  const labels = { dtype: 'int32' as const, shape: [5], data: Int32Array.from([-1, 0, 7, 2147483647, -2147483648]) };
  const weights = { dtype: 'float32' as const, shape: [2, 2], data: Float32Array.from([0.5, -1.25, 3e-8, 1e30]) };
  for (const arr of [imgs, labels, weights]) {
    const file = join(dir, `${arr.dtype}.npy`);
    writeNpy(file, arr);
    const bytes = readFileSync(file);
    assert.equal(bytes.subarray(0, 6).toString('latin1'), '\x93NUMPY');
    // Data must start on a 64-byte boundary as NumPy writes it.
    assert.equal((bytes.readUInt16LE(8) + 10) % 64, 0);
    const back = readNpy(file);
    assert.equal(back.dtype, arr.dtype);
    assert.deepEqual(back.shape, arr.shape);
    assert.deepEqual(Array.from(back.data), Array.from(arr.data));
  }
  const flat = decodeNpy(encodeNpy({ dtype: 'uint8', shape: [3, 784], data: imgs.data }), 'flat');
  assert.deepEqual(asImageStack(flat, 'flat').shape, [3, 28, 28]);
});

test('reads version 2 and 3 headers, big-endian and int64 labels', () => {
  const body = Buffer.alloc(8);
  body.writeInt32LE(-5, 0);
  body.writeInt32LE(9, 4);
  for (const v of [1, 2, 3] as const) {
    const arr = decodeNpy(handMade(v, '<i4', '(2,)', body), `v${v}.npy`);
    assert.deepEqual(Array.from(arr.data), [-5, 9]);
  }
  const be = Buffer.alloc(8);
  be.writeFloatBE(1.5, 0);
  be.writeFloatBE(-2, 4);
  assert.deepEqual(Array.from(decodeNpy(handMade(1, '>f4', '(2,)', be), 'be.npy').data), [1.5, -2]);
  const i8 = Buffer.alloc(16);
  i8.writeBigInt64LE(3n, 0);
  i8.writeBigInt64LE(-1n, 8);
  const labels = decodeNpy(handMade(1, '<i8', '(2,)', i8), 'i8.npy');
  assert.deepEqual(Array.from(asLabels(labels, 'i8.npy')), [3, -1]);
});

test('rejects truncated, oversized, wrong-dtype and wrong-shape files naming the file', () => {
  const dir = scratchDir('npy-bad');
  const good = readFileSync(appleFile);
  const truncated = join(dir, 'cut.npy');
  writeFileSync(truncated, good.subarray(0, good.length - 100));
  assert.throws(() => readNpy(truncated), (e: Error) => e instanceof NodeUserError && e.message.includes('cut.npy') && /truncated/.test(e.message));
  const headerOnly = join(dir, 'head.npy');
  writeFileSync(headerOnly, good.subarray(0, 40));
  assert.throws(() => readNpy(headerOnly), (e: Error) => e instanceof NodeUserError && e.message.includes('head.npy'));
  const long = join(dir, 'long.npy');
  writeFileSync(long, Buffer.concat([good, Buffer.alloc(5)]));
  assert.throws(() => readNpy(long), (e: Error) => e instanceof NodeUserError && e.message.includes('long.npy'));
  const f8 = handMade(1, '<f8', '(1,)', Buffer.alloc(8));
  assert.throws(() => decodeNpy(f8, 'f8.npy'), (e: Error) => e instanceof NodeUserError && /f8\.npy.*<f8/.test(e.message));
  const notNpy = join(dir, 'text.npy');
  writeFileSync(notNpy, 'hello world, not an array');
  assert.throws(() => readNpy(notNpy), (e: Error) => e instanceof NodeUserError && e.message.includes('text.npy'));
  const odd = decodeNpy(handMade(1, '|u1', '(2, 5)', Buffer.alloc(10)), 'odd.npy');
  assert.throws(() => asImageStack(odd, 'odd.npy'), (e: Error) => e instanceof NodeUserError && e.message.includes('odd.npy'));
  const floats = decodeNpy(handMade(1, '<f4', '(1, 784)', Buffer.alloc(784 * 4)), 'float.npy');
  assert.throws(() => asImageStack(floats, 'float.npy'), /float\.npy: images must be uint8/);
  const fortran = Buffer.from(handMade(1, '|u1', '(2,)', Buffer.alloc(2)).toString('latin1').replace("'fortran_order': False", "'fortran_order': True "), 'latin1');
  assert.throws(() => decodeNpy(fortran, 'f.npy'), /f\.npy: Fortran-order/);
  assert.throws(() => readNpy(join(dir, 'missing.npy')), /missing\.npy: cannot read \(ENOENT\)/);
});
