import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runNodeInProcess } from '../../src/exec/node-runner.js';
import { NodeUserError } from '../../src/exec/node-contract.js';
import { readDataset } from '../../src/data/dataset.js';
import { readNpy } from '../../src/data/npy.js';
import quickdraw from '../../nodes/data/quickdraw.js';
import { quickdrawDir, rendererCheckDir, scratchDir } from './fixtures.js';

const lt100Classes = readFileSync(join(quickdrawDir, 'lt100-classes.txt'), 'utf8').trim().split('\n');

async function run(params: unknown, tag: string) {
  const root = scratchDir(tag);
  const result = await runNodeInProcess(quickdraw, {
    params,
    inputs: {},
    outputRoot: join(root, 'out'),
    resumeDir: join(root, 'resume'),
  });
  return { ...result, train: readDataset(result.outputs.train!), val: readDataset(result.outputs.val!), test: readDataset(result.outputs.test!) };
}

function rowsOf(dir: string): Int32Array {
  return readNpy(join(dir, 'rows.npy')).data as Int32Array;
}

test('QuickDraw-LT100 is four params: exact counts and exact rows of the shared README', async () => {
  const r = await run(
    {
      source: { type: 'dir', path: quickdrawDir },
      classes: { file: join(quickdrawDir, 'lt100-classes.txt') },
      test: { perClass: 100 },
      train: { profile: { type: 'linear', max: 200, min: 2 } },
    },
    'lt100',
  );
  assert.deepEqual(r.train.classes, lt100Classes);
  assert.equal(r.test.count, 10_000);
  assert.equal(r.train.count, 10_100);
  assert.equal(r.val.count, 0);
  const trainRows = rowsOf(r.outputs.train!);
  const testRows = rowsOf(r.outputs.test!);
  let trainAt = 0;
  let testAt = 0;
  for (let i = 0; i < 100; i++) {
    const cls = lt100Classes[i]!;
    const file = readNpy(join(quickdrawDir, 'numpy_bitmap', `${cls}.npy`)).data as Uint8Array;
    assert.equal(r.train.meta.countsPerClass[cls], 200 - 2 * i);
    assert.equal(r.test.meta.countsPerClass[cls], 100);
    // test = rows 0..99 of the class file, train = rows 100 .. 100+200−2i−1, pixel for pixel.
    for (let k = 0; k < 100; k++, testAt++) {
      assert.equal(r.test.labels[testAt], i);
      assert.equal(testRows[testAt], k);
    }
    assert.deepEqual(r.test.images.subarray((testAt - 100) * 784, testAt * 784), file.subarray(0, 100 * 784));
    const n = 200 - 2 * i;
    for (let k = 0; k < n; k++) {
      assert.equal(r.train.labels[trainAt + k], i);
      assert.equal(trainRows[trainAt + k], 100 + k);
    }
    assert.deepEqual(r.train.images.subarray(trainAt * 784, (trainAt + n) * 784), file.subarray(100 * 784, (100 + n) * 784));
    trainAt += n;
  }
  assert.equal(r.metrics.imbalance, 100);
});

test('stratified validation carved from train rows reaches every class, tail included, and is seeded', async () => {
  const params = {
    source: { type: 'dir', path: quickdrawDir },
    classes: { file: join(quickdrawDir, 'lt100-classes.txt') },
    test: { perClass: 100 },
    train: { profile: { type: 'linear', max: 200, min: 2 } },
    val: { fraction: 0.1, minPerClass: 1 },
    seed: 7,
  };
  const a = await run(params, 'val-a');
  const b = await run(params, 'val-b');
  const c = await run({ ...params, seed: 8 }, 'val-c');
  for (let i = 0; i < 100; i++) {
    const cls = lt100Classes[i]!;
    const n = 200 - 2 * i;
    const v = a.val.meta.countsPerClass[cls]!;
    assert.equal(v, Math.max(1, Math.round(0.1 * n)), cls);
    assert.equal(a.train.meta.countsPerClass[cls], n - v, cls);
  }
  // Val and train rows of a class are disjoint and together exactly the profile's rows.
  const valRows = rowsOf(a.outputs.val!);
  const trainRows = rowsOf(a.outputs.train!);
  const tail = 99;
  const union = [...Array.from(trainRows).filter((_, j) => a.train.labels[j] === tail), ...Array.from(valRows).filter((_, j) => a.val.labels[j] === tail)].sort((x, y) => x - y);
  assert.deepEqual(union, [100, 101]);
  assert.deepEqual(Array.from(rowsOf(b.outputs.val!)), Array.from(valRows));
  assert.deepEqual(b.val.images, a.val.images);
  assert.notDeepEqual(Array.from(rowsOf(c.outputs.val!)), Array.from(valRows));
});

test('bundled source works offline with its 345 classes; shuffled order is seeded', async () => {
  const params = {
    source: { type: 'bundled' },
    classes: ['cat', 'The Eiffel Tower', 'zigzag'],
    test: { perClass: 10 },
    train: { profile: { type: 'exponential', max: 40, min: 4 } },
    order: 'shuffled',
    seed: 3,
  };
  const r = await run(params, 'bundled');
  assert.deepEqual(r.train.classes, ['cat', 'The Eiffel Tower', 'zigzag']);
  assert.deepEqual(Object.values(r.train.meta.countsPerClass), [40, 13, 4]);
  assert.equal(r.test.count, 30);
  assert.equal(r.train.height, 28);
  // Real drawings: every image has ink, none is saturated everywhere.
  for (let i = 0; i < r.train.count; i++) {
    const img = r.train.images.subarray(i * 784, (i + 1) * 784);
    const lit = img.filter((v) => v > 0).length;
    assert.ok(lit > 20 && lit < 600, `image ${i}: ${lit} lit pixels`);
  }
  // Test and train rows never overlap within a class.
  const testRows = rowsOf(r.outputs.test!);
  const trainRows = rowsOf(r.outputs.train!);
  for (let label = 0; label < 3; label++) {
    const t = new Set(Array.from(testRows).filter((_, j) => r.test.labels[j] === label));
    for (let j = 0; j < trainRows.length; j++) if (r.train.labels[j] === label) assert.ok(!t.has(trainRows[j]!));
  }
  const again = await run(params, 'bundled-again');
  assert.deepEqual(again.train.images, r.train.images);
});

test('dir source renders from strokes at 64 px; test split from a different source', async () => {
  const r = await run(
    {
      source: { type: 'dir', path: quickdrawDir },
      testSource: { type: 'dir', path: rendererCheckDir },
      classes: ['apple', 'fish'],
      size: 64,
      test: { perClass: 5 },
      train: { profile: { type: 'constant', perClass: 6 } },
    },
    'dir64',
  );
  assert.equal(r.train.height, 64);
  assert.equal(r.train.count, 12);
  // Train rows start at 0: the test split came from another pool.
  assert.deepEqual(Array.from(rowsOf(r.outputs.train!)).slice(0, 6), [0, 1, 2, 3, 4, 5]);
  assert.match(String(r.test.meta.source), /renderer-check/);
  assert.equal(r.test.count, 10);
  assert.match(String(r.train.meta.source), /^dir:/);
});

test('arrays source: competition-style (N,28,28) train with int64 labels, unlabeled test images', async () => {
  const { writeNpy } = await import('../../src/data/npy.js');
  const dir = scratchDir('arrays');
  const classes = ['apple', 'cat', 'fish'];
  const per = [30, 20, 10];
  const images: Uint8Array[] = [];
  const labels: number[] = [];
  // Interleave classes as a shuffled competition file would be.
  const files = classes.map((c) => readNpy(join(quickdrawDir, 'numpy_bitmap', `${c}.npy`)).data as Uint8Array);
  for (let k = 0; k < 30; k++) {
    for (let c = 0; c < 3; c++) {
      if (k < per[c]!) {
        images.push(files[c]!.subarray(k * 784, (k + 1) * 784));
        labels.push(c);
      }
    }
  }
  const n = labels.length;
  const flat = new Uint8Array(n * 784);
  images.forEach((img, i) => flat.set(img, i * 784));
  writeNpy(join(dir, 'train_x.npy'), { dtype: 'uint8', shape: [n, 28, 28], data: flat });
  // int64 labels, as NumPy saves them by default.
  const body = Buffer.alloc(n * 8);
  labels.forEach((l, i) => body.writeBigInt64LE(BigInt(l), i * 8));
  const { encodeNpy } = await import('../../src/data/npy.js');
  const header = encodeNpy({ dtype: 'int32', shape: [n], data: new Int32Array(n) });
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(dir, 'train_y.npy'), Buffer.concat([Buffer.from(header.subarray(0, 128).toString('latin1').replace("'<i4'", "'<i8'"), 'latin1'), body]));
  writeNpy(join(dir, 'test_x.npy'), { dtype: 'uint8', shape: [7, 784], data: files[1]!.subarray(200 * 784, 207 * 784) });
  const r = await run(
    {
      source: { type: 'arrays', trainImages: join(dir, 'train_x.npy'), trainLabels: join(dir, 'train_y.npy'), testImages: join(dir, 'test_x.npy'), classNames: classes },
      test: { perClass: 'all' },
      val: { perClass: 2 },
    },
    'arrays',
  );
  assert.deepEqual(r.train.classes, classes);
  assert.deepEqual(Object.values(r.train.meta.countsPerClass), [28, 18, 8]);
  assert.deepEqual(Object.values(r.val.meta.countsPerClass), [2, 2, 2]);
  assert.equal(r.test.count, 7);
  assert.ok(r.test.labels.every((l) => l === -1));
  assert.deepEqual(r.test.images, files[1]!.subarray(200 * 784, 207 * 784));
  // Row k of a class is its k-th image in file order: the first train fish is fish.npy row 0 or a val row.
  const fishRows = Array.from(rowsOf(r.outputs.train!)).filter((_, j) => r.train.labels[j] === 2);
  const firstFish = fishRows[0]!;
  const at = Array.from(r.train.labels).indexOf(2);
  assert.deepEqual(r.train.images.subarray(at * 784, (at + 1) * 784), files[2]!.subarray(firstFish * 784, (firstFish + 1) * 784));
});

test('unknown class suggests the near name; too few drawings names the class and counts', async () => {
  await assert.rejects(
    run({ source: { type: 'dir', path: quickdrawDir }, classes: ['apple', 'eifel tower'] }, 'unknown'),
    (e: Error) => e instanceof NodeUserError && /unknown class "eifel tower".*did you mean "The Eiffel Tower"/.test(e.message),
  );
  await assert.rejects(
    run({ source: { type: 'bundled' }, classes: ['catt'] }, 'unknown2'),
    (e: Error) => e instanceof NodeUserError && /did you mean "cat"/.test(e.message),
  );
  await assert.rejects(
    run({ source: { type: 'dir', path: quickdrawDir }, classes: ['cat', 'apple'], test: { perClass: 100 }, train: { profile: { type: 'explicit', counts: [399, 250] } } }, 'few'),
    (e: Error) => e instanceof NodeUserError && /class "apple" has 300 drawings in dir:.*asks for 100 test \+ 250 train/.test(e.message),
  );
  await assert.rejects(
    run({ source: { type: 'bundled' }, classes: { file: join(quickdrawDir, 'missing-classes.txt') } }, 'nofile'),
    (e: Error) => e instanceof NodeUserError && /missing-classes\.txt: cannot read class list \(ENOENT\)/.test(e.message),
  );
});

test('a dir source can be the "dir" input of the node, so the digest of the folder keys the stage', async () => {
  const root = scratchDir('dir-input');
  const r = await runNodeInProcess(quickdraw, {
    params: { source: { type: 'dir' }, classes: ['apple'], train: { profile: { type: 'constant', perClass: 3 } } },
    inputs: { dir: [{ path: quickdrawDir, digest: 'd', producer: 'file:quickdraw', output: 'outs[0]' }] },
    outputRoot: join(root, 'out'),
    resumeDir: join(root, 'resume'),
  });
  const train = readDataset(r.outputs.train!);
  assert.equal(train.meta.source, 'dir:file:quickdraw');
  assert.deepEqual(train.images, (readNpy(join(quickdrawDir, 'numpy_bitmap', 'apple.npy')).data as Uint8Array).subarray(0, 3 * 784));
  await assert.rejects(run({ source: { type: 'dir' } }, 'no-dir'), (e: Error) => e instanceof NodeUserError && /needs a path or a folder wired to the input "dir"/.test(e.message));
});
