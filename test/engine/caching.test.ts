// Keys, early cutoff, exact reruns, corruption, kills and concurrent runs: the cache stays consistent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dag, dagAsync, history, lastRunOutcomes, makeProject, read, statusJson, waitFor, writeProjectFiles } from '../helpers/cli.js';

const chain = [
  'params:', '  scale: 2', '  unused: 7',
  'stages:',
  '  count:', '    cmd: wc -c < src.txt | tr -d " " > n.txt', '    deps: [src.txt]', '    outs: [n.txt]',
  '  double:', '    cmd: echo $(( $(cat n.txt) * ${params.scale} )) > d.txt', '    deps: [n.txt]', '    outs: [d.txt]', '    params: [scale]',
  '  other:', '    cmd: echo other > o.txt', '    outs: [o.txt]',
].join('\n');

test('the same pipeline in two directories, run by two processes, has the same keys', () => {
  const a = makeProject({ 'p.yaml': chain, 'src.txt': 'abc' });
  const b = makeProject({ 'p.yaml': chain, 'src.txt': 'abc' });
  const keysA = statusJson(a, ['p.yaml']).map((s) => s.key ?? null);
  assert.equal(dag(a, ['run', 'p.yaml']).code, 0);
  assert.equal(dag(b, ['run', 'p.yaml']).code, 0);
  const ka = history(a).at(-1)!.stages.map((s) => [s.stageId, s.key]);
  const kb = history(b).at(-1)!.stages.map((s) => [s.stageId, s.key]);
  assert.deepEqual(new Map(ka as [string, string][]), new Map(kb as [string, string][]));
  // Keys known before the run (stages without upstream) match those recorded by the run.
  assert.equal(keysA[0], new Map(ka as [string, string][]).get('count'));
});

test('a declared param change gives a new key; an undeclared one does not', () => {
  const dir = makeProject({ 'p.yaml': chain, 'src.txt': 'abc' });
  assert.equal(dag(dir, ['run', 'p.yaml']).code, 0);
  const before = Object.fromEntries(statusJson(dir, ['p.yaml']).map((s) => [s.stageId, s.key]));
  const undeclared = Object.fromEntries(statusJson(dir, ['p.yaml', '--set', 'unused=8']).map((s) => [s.stageId, s.key]));
  assert.deepEqual(undeclared, before);
  const declared = statusJson(dir, ['p.yaml', '--set', 'scale=3']);
  const d = declared.find((s) => s.stageId === 'double')!;
  assert.notEqual(d.key, before.double);
  assert.equal(d.state, 'will-run');
  assert.ok(d.reasons.includes('params changed: scale 2 → 3'), d.reasons.join('; '));
});

test('after a param change exactly the affected stages rerun (from run history)', () => {
  const dir = makeProject({ 'p.yaml': chain, 'src.txt': 'abc' });
  assert.equal(dag(dir, ['run', 'p.yaml']).code, 0);
  assert.deepEqual(lastRunOutcomes(dir), { count: 'ran', double: 'ran', other: 'ran' });
  assert.equal(dag(dir, ['run', 'p.yaml', '--set', 'scale=5']).code, 0);
  assert.deepEqual(lastRunOutcomes(dir), { count: 'cached', double: 'ran', other: 'cached' });
  assert.equal(read(dir, 'd.txt').trim(), '15');
  assert.equal(dag(dir, ['run', 'p.yaml']).code, 0);
  assert.deepEqual(lastRunOutcomes(dir), { count: 'cached', double: 'cached', other: 'cached' });
  assert.equal(read(dir, 'd.txt').trim(), '6', 'cached outs are restored into the workspace');
});

test('early cutoff: an upstream rerun that writes identical bytes leaves downstream cached', () => {
  const dir = makeProject({ 'p.yaml': chain, 'src.txt': 'abc' });
  assert.equal(dag(dir, ['run', 'p.yaml']).code, 0);
  writeFileSync(join(dir, 'src.txt'), 'xyz');
  const st = statusJson(dir, ['p.yaml']);
  assert.deepEqual(st.find((s) => s.stageId === 'count')!.reasons, ['dep src.txt changed']);
  assert.equal(dag(dir, ['run', 'p.yaml']).code, 0);
  assert.deepEqual(lastRunOutcomes(dir), { count: 'ran', double: 'cached', other: 'cached' });
});

test('dag status explains what changed in words', () => {
  const dir = makeProject({ 'p.yaml': chain, 'src.txt': 'abc' });
  assert.equal(statusJson(dir, ['p.yaml']).find((s) => s.stageId === 'count')!.reasons[0], 'never run');
  assert.equal(dag(dir, ['run', 'p.yaml']).code, 0);
  writeFileSync(join(dir, 'src.txt'), 'abcd');
  const st = statusJson(dir, ['p.yaml']);
  assert.deepEqual(st.find((s) => s.stageId === 'double')!.reasons, ['upstream count will run']);
  const forced = statusJson(dir, ['p.yaml']);
  assert.equal(forced.find((s) => s.stageId === 'other')!.state, 'cached');
  const why = dag(dir, ['why', 'p.yaml', 'count']);
  assert.match(why.stdout, /deps\.src\.txt:/);
  assert.match(why.stdout, /dep src\.txt changed/);
});

test('a corrupted blob is detected, evicted and its stage recomputed', () => {
  const dir = makeProject({ 'p.yaml': chain, 'src.txt': 'abc' });
  assert.equal(dag(dir, ['run', 'p.yaml']).code, 0);
  const digest = readFileSync(join(dir, 'd.txt'));
  // Find the blob holding d.txt's bytes and flip them, keeping the size.
  const blobsDir = join(dir, 'cache', 'blobs');
  let corrupted = '';
  for (const sub of readdirSync(blobsDir)) {
    for (const f of readdirSync(join(blobsDir, sub))) {
      const p = join(blobsDir, sub, f);
      if (readFileSync(p).equals(digest)) {
        chmodSync(p, 0o644);
        writeFileSync(p, '9\n');
        corrupted = p;
      }
    }
  }
  assert.ok(corrupted, 'found the blob of d.txt');
  rmSync(join(dir, 'd.txt'));
  const r = dag(dir, ['run', 'p.yaml', '--plain', '--verbose']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /corrupt/);
  assert.deepEqual(lastRunOutcomes(dir), { count: 'cached', double: 'ran', other: 'cached' });
  assert.equal(read(dir, 'd.txt').trim(), '6');
  const v = dag(dir, ['verify']);
  assert.equal(v.code, 0, v.stdout);
  assert.match(v.stdout, /0 corrupt blobs, 0 broken entries/);
});

test('dag verify finds and evicts a corrupt blob', () => {
  const dir = makeProject({ 'p.yaml': chain, 'src.txt': 'abc' });
  assert.equal(dag(dir, ['run', 'p.yaml']).code, 0);
  const blobsDir = join(dir, 'cache', 'blobs');
  const sub = readdirSync(blobsDir)[0]!;
  const f = join(blobsDir, sub, readdirSync(join(blobsDir, sub))[0]!);
  chmodSync(f, 0o644);
  writeFileSync(f, 'garbage');
  const v = dag(dir, ['verify']);
  assert.equal(v.code, 1);
  assert.match(v.stdout, /corrupt blob .*evicted/);
  assert.equal(existsSync(f), false);
  assert.equal(dag(dir, ['run', 'p.yaml']).code, 0, 'a rerun recomputes what was evicted');
  assert.equal(dag(dir, ['verify']).code, 0);
});

test('a corrupt action entry is reported and recomputed', () => {
  const dir = makeProject({ 'p.yaml': chain, 'src.txt': 'abc' });
  assert.equal(dag(dir, ['run', 'p.yaml']).code, 0);
  const key = history(dir).at(-1)!.stages.find((s) => s.stageId === 'other')!.key!;
  writeFileSync(join(dir, 'cache', 'actions', key.slice(0, 2), `${key.slice(2)}.json`), '{"schema": 1, truncated');
  const r = dag(dir, ['run', 'p.yaml']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(lastRunOutcomes(dir).other, 'ran');
});

test('kill -9 of dag run mid-stage: the rerun completes and the cache verifies clean', async () => {
  const dir = makeProject({
    'p.yaml': 'stages:\n  slow:\n    cmd: echo started > started.txt && sleep 30 && echo done > slow.txt\n    outs: [slow.txt]\n  fast:\n    cmd: echo fast > fast.txt\n    outs: [fast.txt]\n',
  });
  const run = dagAsync(dir, ['run', 'p.yaml', '--jobs', '2']);
  await waitFor(() => existsSync(join(dir, 'started.txt')), 30_000, 'slow stage to start');
  run.child.kill('SIGKILL');
  await run.done;
  assert.equal(existsSync(join(dir, 'cache', 'lock')), true, 'the killed run left its lock behind');
  // The rerun must not run the slow command for real: replace it so the test stays fast.
  writeProjectFiles(dir, { 'p.yaml': 'stages:\n  slow:\n    cmd: echo done > slow.txt\n    outs: [slow.txt]\n  fast:\n    cmd: echo fast > fast.txt\n    outs: [fast.txt]\n' });
  const r = dag(dir, ['run', 'p.yaml']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(read(dir, 'slow.txt').trim(), 'done');
  const runs = history(dir);
  assert.equal(runs.at(-2)!.status, 'killed', 'the killed run is marked killed');
  assert.equal(runs.at(-1)!.status, 'succeeded');
  const v = dag(dir, ['verify']);
  assert.equal(v.code, 0, v.stdout);
  assert.equal(existsSync(join(dir, 'cache', 'lock')), false);
});

test('two concurrent dag run on one cache: the second waits, then finds the results cached', async () => {
  // The first run's stage holds until the test releases it, so the second run surely meets the lock.
  const dir = makeProject({ 'p.yaml': 'stages:\n  a:\n    cmd: touch started; while [ ! -f release ]; do sleep 0.05; done; echo x >> ran.txt; echo a > a.txt\n    outs: [a.txt]\n' });
  const first = dagAsync(dir, ['run', 'p.yaml']);
  await waitFor(() => existsSync(join(dir, 'started')), 30_000, 'first run to start its stage');
  const second = dagAsync(dir, ['run', 'p.yaml']);
  await waitFor(() => /waiting for the cache lock held by pid \d+/.test(second.output().stderr), 30_000, 'second run to report the lock');
  writeFileSync(join(dir, 'release'), '');
  const [r1, r2] = await Promise.all([first.done, second.done]);
  assert.equal(r1.code, 0, r1.stderr);
  assert.equal(r2.code, 0, r2.stderr);
  assert.equal(read(dir, 'ran.txt').trim().split('\n').length, 1, 'the command ran once');
  const runs = history(dir);
  assert.deepEqual(runs.map((r) => r.stages[0]!.outcome), ['ran', 'cached']);
});

test('Ctrl-C stops running stages, caches nothing half-done, and a rerun continues', async () => {
  const dir = makeProject({
    'p.yaml': 'stages:\n  quick:\n    cmd: echo q > q.txt\n    outs: [q.txt]\n  slow:\n    cmd: echo started > started.txt && sleep 30 && echo s > s.txt\n    deps: [q.txt]\n    outs: [s.txt]\n',
  });
  const run = dagAsync(dir, ['run', 'p.yaml']);
  await waitFor(() => existsSync(join(dir, 'started.txt')), 30_000, 'slow stage to start');
  run.child.kill('SIGINT');
  const r = await run.done;
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /stopping/);
  const runs = history(dir);
  assert.equal(runs.at(-1)!.status, 'cancelled');
  assert.deepEqual(lastRunOutcomes(dir), { quick: 'ran', slow: 'failed' });
  const st = statusJson(dir, ['p.yaml']);
  assert.equal(st.find((s) => s.stageId === 'quick')!.state, 'cached');
  assert.equal(st.find((s) => s.stageId === 'slow')!.state, 'will-run');
  assert.equal(dag(dir, ['verify']).code, 0);
});

test('a failing node keeps its resume directory for the retry, which then succeeds', () => {
  const dir = makeProject({ 'p.yaml': 'stages:\n  a:\n    node: testing/sum\n    params: {offset: 3, failOnce: true}\n' });
  const first = dag(dir, ['run', 'p.yaml']);
  assert.equal(first.code, 2, 'a node\'s user error exits 2');
  assert.match(first.stdout, /failing on purpose/);
  assert.equal(readdirSync(join(dir, 'cache', 'resume')).length, 1, 'resume dir kept');
  const second = dag(dir, ['run', 'p.yaml', '--plain', '--verbose']);
  assert.equal(second.code, 0, second.stdout + second.stderr);
  assert.match(second.stdout, /resumed: found/);
  assert.equal(readdirSync(join(dir, 'cache', 'resume')).length, 0, 'resume dir removed on success');
});

test('a failing command skips its dependents; --keep-going runs independent stages', () => {
  const pipeline = 'stages:\n  bad:\n    cmd: echo oops >&2; exit 3\n    outs: [b.txt]\n  after:\n    cmd: cp b.txt c.txt\n    deps: [b.txt]\n    outs: [c.txt]\n  indep:\n    cmd: sleep 0.5; echo i > i.txt\n    outs: [i.txt]\n';
  const dir = makeProject({ 'p.yaml': pipeline });
  const r = dag(dir, ['run', 'p.yaml', '--jobs', '1', '--keep-going']);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /bad.*exited with code 3[\s\S]*oops/);
  assert.deepEqual(lastRunOutcomes(dir), { bad: 'failed', after: 'skipped', indep: 'ran' });
});

test('GPU stages get distinct devices through CUDA_VISIBLE_DEVICES', () => {
  const dir = makeProject({
    'p.yaml': 'stages:\n  g:\n    foreach: [1, 2]\n    cmd: sleep 0.5; echo "$CUDA_VISIBLE_DEVICES" > gpu${item}.txt\n    outs: ["gpu${item}.txt"]\n    resources: {gpu: 1}\n',
  });
  const r = dag(dir, ['run', 'p.yaml', '--gpus', '0,1', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const devices = [read(dir, 'gpu1.txt').trim(), read(dir, 'gpu2.txt').trim()].sort();
  assert.deepEqual(devices, ['0', '1']);
  const starts = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.type === 'stage-started');
  assert.equal(starts.length, 2);
  const noGpu = dag(dir, ['run', 'p.yaml', '--gpus', '', '--force']);
  assert.equal(noGpu.code, 2);
  assert.match(noGpu.stdout, /needs 1 GPU\(s\) but none/);
});

test('dag gc keeps what the last runs reach and frees the rest', () => {
  const dir = makeProject({ 'p.yaml': chain, 'src.txt': 'abc' });
  assert.equal(dag(dir, ['run', 'p.yaml']).code, 0);
  assert.equal(dag(dir, ['run', 'p.yaml', '--set', 'scale=3']).code, 0);
  const gc = dag(dir, ['gc', '--keep-last', '1']);
  assert.equal(gc.code, 0, gc.stderr);
  assert.match(gc.stdout, /removed 1 cache entries and 1 blobs, [\d.]+ (B|KiB) freed/);
  assert.equal(dag(dir, ['run', 'p.yaml', '--set', 'scale=3']).code, 0);
  assert.deepEqual(lastRunOutcomes(dir), { count: 'cached', double: 'cached', other: 'cached' });
  assert.equal(dag(dir, ['verify']).code, 0);
});

test('results are shared through a common cache (DAG_CACHE) between two checkouts', () => {
  const shared = makeProject({});
  const a = makeProject({ 'p.yaml': chain, 'src.txt': 'abc' });
  const b = makeProject({});
  cpSync(a, b, { recursive: true });
  const env = { DAG_CACHE: join(shared, 'cache') };
  assert.equal(dag(a, ['run', 'p.yaml'], env).code, 0);
  rmSync(join(b, 'n.txt'), { force: true });
  const r = dag(b, ['run', 'p.yaml', '--json'], env);
  assert.equal(r.code, 0, r.stderr);
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(events.filter((e) => e.type === 'stage-cached').length, 3);
  assert.equal(read(b, 'd.txt').trim(), '6');
});
