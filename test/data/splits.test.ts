import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planRows, profileCounts, valSize } from '../../src/data/splits.js';
import { selectClasses } from '../../src/data/classes.js';

test('profiles: the competition 1000, 990, …, 10; exponential; explicit must match the classes', () => {
  const linear = profileCounts({ type: 'linear', max: 1000, min: 10 }, 100)!;
  assert.deepEqual(linear, Array.from({ length: 100 }, (_, i) => 1000 - 10 * i));
  const exp = profileCounts({ type: 'exponential', max: 1000, min: 10 }, 5)!;
  assert.deepEqual(exp, [1000, 316, 100, 32, 10]);
  assert.throws(() => profileCounts({ type: 'explicit', counts: [1, 2] }, 3), /2 entries for 3 classes/);
  assert.equal(profileCounts({ type: 'all' }, 3), undefined);
});

test('validation takes at least one row of every class, never all of them', () => {
  const spec = { fraction: 0.1, minPerClass: 1 };
  assert.equal(valSize(spec, 1000), 100);
  assert.equal(valSize(spec, 10), 1);
  assert.equal(valSize(spec, 2), 1);
  assert.equal(valSize(spec, 1), 0);
  assert.equal(valSize({ ...spec, perClass: 50 }, 20), 19);
});

test('shuffled rows are a seeded permutation of the whole file, disjoint between splits', () => {
  const base = {
    classes: ['a', 'b'], trainAvailable: [300, 300], testAvailable: [0, 0], samePool: true, testPerClass: 20,
    trainCounts: [50, 5], order: 'shuffled' as const, seed: 1, trainWhere: 'x', testWhere: 'x', val: { fraction: 0.2, minPerClass: 1 },
  };
  const a = planRows(base);
  assert.deepEqual(planRows(base), a);
  assert.notDeepEqual(planRows({ ...base, seed: 2 }), a);
  for (const c of a) {
    const all = [...c.test, ...c.train, ...c.val];
    assert.equal(new Set(all).size, all.length);
    assert.ok(Math.max(...all) >= 25, 'rows come from the whole file, not only the leading ones');
  }
  assert.deepEqual(a.map((c) => [c.test.length, c.train.length, c.val.length]), [[20, 40, 10], [20, 4, 1]]);
});

test('classes by count: alphabetical first N, or a seeded random N', () => {
  const names = ['cat', 'ant', 'dog', 'bee', 'eel', 'fox'];
  assert.deepEqual(selectClasses({ count: 3 }, names, 'src'), ['ant', 'bee', 'cat']);
  const r1 = selectClasses({ count: 3, order: 'random', seed: 1 }, names, 'src');
  assert.equal(r1.length, 3);
  assert.deepEqual(selectClasses({ count: 3, order: 'random', seed: 1 }, names, 'src'), r1);
  assert.throws(() => selectClasses({ count: 7 }, names, 'src'), /classes.count is 7 but src has only 6 classes/);
});
