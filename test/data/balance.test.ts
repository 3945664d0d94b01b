import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runNodeInProcess } from '../../src/exec/node-runner.js';
import { NodeUserError } from '../../src/exec/node-contract.js';
import { readDataset, type Dataset } from '../../src/data/dataset.js';
import { readNpy } from '../../src/data/npy.js';
import { classWeights, largestRemainder } from '../../src/data/balance.js';
import { epochRows, readPlan } from '../../src/data/plan.js';
import quickdraw from '../../nodes/data/quickdraw.js';
import balance from '../../nodes/data/balance.js';
import { quickdrawDir, scratchDir } from './fixtures.js';

let trainDir: string;
let train: Dataset;
const profile = [50, 45, 40, 35, 30, 25, 20, 15, 10, 5];

before(async () => {
  const root = scratchDir('balance-src');
  const r = await runNodeInProcess(quickdraw, {
    params: {
      source: { type: 'dir', path: quickdrawDir },
      classes: { file: join(quickdrawDir, 'lt100-classes.txt') },
      test: { perClass: 0 },
      train: { profile: { type: 'explicit', counts: profile.concat(new Array(90).fill(0)) } },
    },
    inputs: {},
    outputRoot: join(root, 'out'),
    resumeDir: join(root, 'resume'),
  });
  trainDir = r.outputs.train!;
  train = readDataset(trainDir);
});

async function plan(params: unknown, tag: string): Promise<string> {
  const root = scratchDir(tag);
  const r = await runNodeInProcess(balance, {
    params,
    inputs: { dataset: [{ path: trainDir, digest: 'test', producer: 'quickdraw', output: 'train' }] },
    outputRoot: join(root, 'out'),
    resumeDir: join(root, 'resume'),
  });
  return r.outputs.plan!;
}

function classCounts(indices: Int32Array): number[] {
  const counts = new Array<number>(10).fill(0);
  for (const i of indices) counts[train.labels[i]!]!++;
  return counts;
}

test('oversample to the largest class keeps every row and repeats only within a class', async () => {
  const dir = await plan({ strategy: { type: 'oversample' } }, 'over');
  const indices = readNpy(join(dir, 'indices.npy')).data as Int32Array;
  assert.deepEqual(classCounts(indices), new Array(10).fill(50));
  assert.equal(new Set(indices).size, train.count);
  // The 5-row tail class appears exactly 10 times per row.
  const tailRows = Array.from(indices).filter((i) => train.labels[i] === 9);
  for (const r of new Set(tailRows)) assert.equal(tailRows.filter((x) => x === r).length, 10);
  const again = readNpy(join(await plan({ strategy: { type: 'oversample' } }, 'over2'), 'indices.npy')).data;
  assert.deepEqual(again, indices);
});

test('undersample to the smallest class, no repeats; materialize writes a dataset', async () => {
  const dir = await plan({ strategy: { type: 'undersample' }, materialize: true, seed: 4 }, 'under');
  const indices = readNpy(join(dir, 'indices.npy')).data as Int32Array;
  assert.deepEqual(classCounts(indices), new Array(10).fill(5));
  assert.equal(new Set(indices).size, 50);
  const ds = readDataset(dir);
  assert.equal(ds.count, 50);
  indices.forEach((row, k) => {
    assert.equal(ds.labels[k], train.labels[row]);
    assert.deepEqual(ds.images.subarray(k * 784, (k + 1) * 784), train.images.subarray(row * 784, (row + 1) * 784));
  });
});

test('class weights: inverse frequency and effective number, mean row weight 1', async () => {
  const dir = await plan({ strategy: { type: 'weights', method: 'inverse' } }, 'w-inv');
  const w = readNpy(join(dir, 'weights.npy')).data as Float32Array;
  assert.equal(w.length, train.count);
  const mean = w.reduce((a, b) => a + b, 0) / w.length;
  assert.ok(Math.abs(mean - 1) < 1e-5);
  const wOf = (label: number) => w[Array.from(train.labels).indexOf(label)]!;
  assert.ok(Math.abs(wOf(9) / wOf(0) - 10) < 1e-4); // 50 vs 5 rows
  const eff = classWeights(profile, 'effective', 0.9);
  // E(n) = (1 − 0.9ⁿ)/0.1: head ≈ 10, tail 4.095 ⇒ ratio ≈ 2.44, much flatter than 1/n's 10.
  assert.ok(Math.abs(eff[9]! / eff[0]! - (1 - 0.9 ** 50) / (1 - 0.9 ** 5)) < 1e-9);
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
  assert.equal(meta.kind, 'plan');
  assert.equal(Object.keys(meta.classWeights).length, 100);
});

test('progressive schedule moves from instance-balanced to class-balanced', async () => {
  const dir = await plan({ strategy: { type: 'progressive', epochs: 5 } }, 'prog');
  const arr = readNpy(join(dir, 'indices.npy'));
  assert.deepEqual(arr.shape, [5, 275]);
  const epoch = (t: number) => classCounts((arr.data as Int32Array).subarray(t * 275, (t + 1) * 275));
  assert.deepEqual(epoch(0), profile);
  assert.deepEqual(epoch(4), largestRemainder(new Array(10).fill(0.1), 275));
  const mid = epoch(2);
  assert.ok(mid[0]! < 50 && mid[0]! > 27 && mid[9]! > 5 && mid[9]! < 28);
  // What a training loop reads: epoch e's rows, the last epoch's rows past the schedule's end.
  const schedule = readPlan(dir);
  assert.deepEqual(classCounts(epochRows(schedule, 0)!), profile);
  assert.deepEqual(epochRows(schedule, 9), epochRows(schedule, 4));
  assert.equal(schedule.meta.epochs, 5);
});

test('materialize with weights is a clear error', async () => {
  await assert.rejects(plan({ strategy: { type: 'weights' }, materialize: true }, 'bad'), (e: Error) => e instanceof NodeUserError && /materialize: true needs strategy oversample or undersample/.test(e.message));
});
