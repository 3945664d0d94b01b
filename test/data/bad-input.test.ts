// Each kind of bad input gives one NodeUserError naming the file, line or class.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { runNodeInProcess } from '../../src/exec/node-runner.js';
import { NodeUserError } from '../../src/exec/node-contract.js';
import { writeNpy } from '../../src/data/npy.js';
import quickdraw from '../../nodes/data/quickdraw.js';
import { quickdrawDir, scratchDir } from './fixtures.js';

function run(params: unknown) {
  const root = scratchDir('bad');
  return runNodeInProcess(quickdraw, { params, inputs: {}, outputRoot: join(root, 'out'), resumeDir: join(root, 'resume') });
}

const userError = (pattern: RegExp) => (e: Error) => {
  assert.ok(e instanceof NodeUserError, `not a NodeUserError: ${e.stack}`);
  assert.match(e.message, pattern);
  return true;
};

test('a truncated .ndjson line names the file and line', async () => {
  const dir = scratchDir('trunc-ndjson');
  const lines = gunzipSync(readFileSync(join(quickdrawDir, 'simplified', 'cat.ndjson.gz'))).toString('utf8').split('\n');
  // Five whole drawings, then the sixth cut off mid-line, as an interrupted download leaves it.
  writeFileSync(join(dir, 'cat.ndjson'), lines.slice(0, 5).join('\n') + '\n' + lines[5]!.slice(0, 80));
  await assert.rejects(
    run({ source: { type: 'dir', path: dir }, size: 64, classes: ['cat'] }),
    userError(/cat\.ndjson:6: not a complete JSON drawing .*truncated\?/),
  );
  writeFileSync(join(dir, 'cat.ndjson'), lines.slice(0, 2).join('\n') + '\n{"word":"cat","drawing":[[[1,2,3],[4,5]]]}\n');
  await assert.rejects(run({ source: { type: 'dir', path: dir }, size: 64, classes: ['cat'] }), userError(/cat\.ndjson:3: "drawing" must be a list of strokes/));
});

test('a .npy of the wrong dtype, shape or length in a source dir names the file', async () => {
  const dir = scratchDir('bad-npy');
  writeNpy(join(dir, 'apple.npy'), { dtype: 'float32', shape: [3, 784], data: new Float32Array(3 * 784) });
  await assert.rejects(run({ source: { type: 'dir', path: dir }, classes: ['apple'] }), userError(/apple\.npy: expected numpy_bitmap images \(N, 784\) uint8, got float32 \(3, 784\)/));
  writeNpy(join(dir, 'apple.npy'), { dtype: 'uint8', shape: [3, 700], data: new Uint8Array(3 * 700) });
  await assert.rejects(run({ source: { type: 'dir', path: dir }, classes: ['apple'] }), userError(/apple\.npy: expected numpy_bitmap images .* \(3, 700\)/));
  const full = readFileSync(join(quickdrawDir, 'numpy_bitmap', 'apple.npy'));
  writeFileSync(join(dir, 'apple.npy'), full.subarray(0, full.length - 784 * 10 - 5));
  await assert.rejects(
    run({ source: { type: 'dir', path: dir }, classes: ['apple'], train: { profile: { type: 'constant', perClass: 5 } } }),
    userError(/apple\.npy: truncated \.npy data/),
  );
});

test('arrays with mismatched labels, float labels or a label beyond the class names', async () => {
  const dir = scratchDir('bad-arrays');
  copyFileSync(join(quickdrawDir, 'numpy_bitmap', 'apple.npy'), join(dir, 'x.npy'));
  writeNpy(join(dir, 'y-short.npy'), { dtype: 'int32', shape: [10], data: new Int32Array(10) });
  writeNpy(join(dir, 'y-float.npy'), { dtype: 'float32', shape: [300], data: new Float32Array(300) });
  writeNpy(join(dir, 'y-big.npy'), { dtype: 'int32', shape: [300], data: new Int32Array(300).fill(4) });
  const src = (labels: string, extra = {}) => ({ source: { type: 'arrays', trainImages: join(dir, 'x.npy'), trainLabels: join(dir, labels), ...extra } });
  await assert.rejects(run(src('y-short.npy')), userError(/y-short\.npy: 10 labels for 300 images/));
  await assert.rejects(run(src('y-float.npy')), userError(/y-float\.npy: labels must be int32/));
  await assert.rejects(run(src('y-big.npy', { classNames: ['a', 'b'] })), userError(/y-big\.npy: label 4 but only 2 class names/));
  writeNpy(join(dir, 'y.npy'), { dtype: 'int32', shape: [300], data: new Int32Array(300) });
  await assert.rejects(
    run({ ...src('y.npy', { testImages: join(dir, 'x.npy') }), test: { perClass: 10 } }),
    userError(/test images of arrays:.* have no labels.*test\.perClass: 'all'/),
  );
  await assert.rejects(run({ source: { type: 'bundled' }, classes: ['cat'], test: { perClass: 'all' } }), userError(/'all' needs a test source apart from the train rows/));
});

test('bad params, a class listed twice, a missing source folder', async () => {
  await assert.rejects(run({ size: 'big' }), userError(/invalid params for node data\/quickdraw: size/));
  await assert.rejects(run({ source: { type: 'bundled' }, classes: ['cat', 'dog', 'cat'] }), userError(/class "cat" is listed twice/));
  await assert.rejects(run({ source: { type: 'dir', path: join(quickdrawDir, 'nope') } }), userError(/source dir .*nope: cannot read \(ENOENT\)/));
  await assert.rejects(
    run({ source: { type: 'bundled' }, classes: ['cat'], size: 64 }),
    userError(/source bundled has 28 px bitmaps only/),
  );
});
