// `status` reuses its last plan only while every fact it read still holds; each kind of change
// below must be seen at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, utimesSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { dag, makeProject, statusJson } from '../helpers/cli.js';

const pipeline = [
  'params: {n: 1}',
  'stages:',
  '  a:', '    cmd: cat in.txt > a.txt', '    deps: [in.txt]', '    outs: [a.txt]',
  '  b:', '    cmd: echo ${params.n} > b.txt', '    outs: [b.txt]', '    params: [n]',
  '  d:', '    cmd: ls data > d.txt', '    deps: [data]', '    outs: [d.txt]',
].join('\n');

function states(dir: string, args: string[] = []): Record<string, string> {
  return Object.fromEntries(statusJson(dir, ['p.yaml', ...args]).map((s) => [s.stageId, s.state]));
}

test('status snapshot: reused when nothing changed, invalidated by every kind of change', () => {
  const dir = makeProject({ 'p.yaml': pipeline, 'in.txt': 'x', 'data/one': '1' });
  assert.equal(dag(dir, ['run', 'p.yaml']).code, 0);
  const allCached = { a: 'cached', b: 'cached', d: 'cached' };
  assert.deepEqual(states(dir), allCached);
  assert.deepEqual(states(dir), allCached, 'second status, from the snapshot');
  assert.ok(readdirSync(join(dir, 'cache', 'plans')).length >= 1, 'a snapshot was written');

  // A dependency's content.
  writeFileSync(join(dir, 'in.txt'), 'y');
  assert.equal(states(dir).a, 'will-run');
  writeFileSync(join(dir, 'in.txt'), 'x');
  assert.equal(states(dir).a, 'cached', 'content back as it was: cached again');

  // A file added to a directory dependency.
  writeFileSync(join(dir, 'data', 'two'), '2');
  assert.equal(states(dir).d, 'will-run');
  rmSync(join(dir, 'data', 'two'));
  assert.equal(states(dir).d, 'cached');

  // The pipeline file, and overrides on the command line.
  writeFileSync(join(dir, 'p.yaml'), pipeline.replace('{n: 1}', '{n: 2}'));
  assert.equal(states(dir).b, 'will-run');
  writeFileSync(join(dir, 'p.yaml'), pipeline);
  assert.equal(states(dir).b, 'cached');
  assert.equal(states(dir, ['--set', 'n=3']).b, 'will-run');

  // A workspace output removed: still cached (it will be restored), with the reason.
  rmSync(join(dir, 'a.txt'));
  const a = statusJson(dir, ['p.yaml']).find((s) => s.stageId === 'a')!;
  assert.equal(a.state, 'cached');
  assert.match(a.reasons.join(), /will restore a.txt/);

  // A cache entry removed behind status's back (e.g. gc from another checkout).
  rmSync(join(dir, 'cache', 'actions'), { recursive: true });
  assert.deepEqual(states(dir), { a: 'will-run', b: 'will-run', d: 'will-run' });
});

test('status snapshot: a touched but unchanged dependency is re-checked and still cached', () => {
  const dir = makeProject({ 'p.yaml': pipeline, 'in.txt': 'x', 'data/one': '1' });
  assert.equal(dag(dir, ['run', 'p.yaml']).code, 0);
  assert.equal(states(dir).a, 'cached');
  const later = new Date(Date.now() + 5000);
  utimesSync(join(dir, 'in.txt'), later, later);
  assert.equal(states(dir).a, 'cached');
});
