// Remote caches against a real nginx (WebDAV PUT) on 127.0.0.1: push, pull, lazy fetches on `run
// --remote`, digests checked on download, write-once entries, ed25519 signatures and trusted keys.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dag, history, lastRunOutcomes, makeProject, read } from '../helpers/cli.js';
import { startNginxCache, type NginxCache } from '../helpers/servers.js';

const pipeline = [
  'stages:',
  '  count:', '    cmd: mkdir -p out && wc -c < src.txt | tr -d " " > out/n.txt', '    deps: [src.txt]', '    outs: [out/n.txt]',
  '  part:', '    foreach: [1, 2]', '    node: testing/sum', '    params: {offset: "${item}"}',
  '  total:', '    node: testing/sum', '    inputs: {values: part.*.total}',
  '  report:', '    cmd: cat ${inputs.t}/value.txt out/n.txt > report.txt', '    deps: [out/n.txt]', '    inputs: {t: total.total}', '    outs: [report.txt]',
].join('\n');
const files = { 'p.yaml': pipeline, 'src.txt': 'hello' };
const allCached = { count: 'cached', 'part@1': 'cached', 'part@2': 'cached', total: 'cached', report: 'cached' };
const allRan = { count: 'ran', 'part@1': 'ran', 'part@2': 'ran', total: 'ran', report: 'ran' };

let nginx: NginxCache;
let prefix = 0;
before(async () => {
  nginx = await startNginxCache();
});
after(async () => {
  await nginx?.stop();
});

/** Each test gets its own namespace on the one server, as a team sharing one cache by prefix would. */
function remoteUrl(): string {
  return `${nginx.url}/t${++prefix}`;
}

function keys(dir: string): Record<string, string | undefined> {
  return Object.fromEntries(history(dir).at(-1)!.stages.map((s) => [s.stageId, s.key]));
}

function actionEntry(dir: string, key: string): { outputs: Record<string, { type: string; digest: string }> } {
  return JSON.parse(read(dir, `cache/actions/${key.slice(0, 2)}/${key.slice(2)}.json`));
}

function hasLocalBlob(dir: string, digest: string): boolean {
  return existsSync(join(dir, 'cache', 'blobs', digest.slice(0, 2), digest.slice(2)));
}

function ok(r: { code: number; stdout: string; stderr: string }, what: string): string {
  assert.equal(r.code, 0, `${what} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout + r.stderr;
}

test('push from one cache, pull into an empty one in another checkout: the run is all cache hits', () => {
  const url = remoteUrl();
  const a = makeProject(files);
  ok(dag(a, ['run', 'p.yaml']), 'run in A');
  const pushed = ok(dag(a, ['push', 'p.yaml', '--remote', url]), 'push');
  assert.match(pushed, /pushed 5 entries to .* \(0 already there\)/);
  assert.ok(readdirSync(join(nginx.root, `t${prefix}`, 'ac')).length === 5);

  const b = makeProject(files);
  const pulled = ok(dag(b, ['pull', 'p.yaml', '--remote', url]), 'pull');
  assert.match(pulled, /pulled 5 entries/);
  ok(dag(b, ['run', 'p.yaml']), 'run in B');
  assert.deepEqual(lastRunOutcomes(b), allCached);
  assert.deepEqual(keys(b), keys(a), 'two checkout paths, same keys');
  assert.equal(read(b, 'report.txt'), read(a, 'report.txt'));
  assert.equal(read(b, 'out/n.txt'), '5\n');

  // Pushing again uploads nothing and leaves every entry as it was.
  assert.match(ok(dag(a, ['push', 'p.yaml', '--remote', url]), 'second push'), /pushed 0 entries .*\(5 already there\), 0 blobs uploaded/);
});

test('run --remote pushes what it computes; another checkout gets hits and fetches blobs only when needed', () => {
  const url = remoteUrl();
  const a = makeProject(files);
  ok(dag(a, ['run', 'p.yaml', '--remote', url]), 'run in A');
  const ka = keys(a);
  const partTree = actionEntry(a, ka['part@1']!).outputs.total!.digest;
  const totalTree = actionEntry(a, ka.total!).outputs.total!.digest;

  const b = makeProject(files);
  ok(dag(b, ['run', 'p.yaml', '--remote', url]), 'run in B');
  assert.deepEqual(lastRunOutcomes(b), allCached);
  assert.deepEqual(keys(b), ka);
  assert.equal(read(b, 'report.txt'), read(a, 'report.txt'), 'cmd outs are restored from the remote');
  assert.equal(hasLocalBlob(b, partTree), false, 'an output no stage reads here is not downloaded');
  assert.equal(hasLocalBlob(b, totalTree), false);

  // A changed report command needs total's output: now, and only now, it is fetched.
  const changed = pipeline.replace('> report.txt', '> report.txt && echo changed >> report.txt');
  writeFileSync(join(b, 'p.yaml'), changed);
  ok(dag(b, ['run', 'p.yaml', '--remote', url]), 'rerun in B');
  assert.deepEqual(lastRunOutcomes(b), { ...allCached, report: 'ran' });
  assert.equal(hasLocalBlob(b, totalTree), true);
  assert.equal(hasLocalBlob(b, partTree), false);
  assert.equal(read(b, 'report.txt'), `${read(a, 'report.txt')}changed\n`);
});

test('a tampered blob on the remote is rejected, its stage recomputed and the remote copy repaired', () => {
  const url = remoteUrl();
  const a = makeProject(files);
  ok(dag(a, ['run', 'p.yaml', '--remote', url]), 'run in A');
  const nDigest = actionEntry(a, keys(a).count!).outputs['out/n.txt']!.digest;
  const blob = join(nginx.root, `t${prefix}`, 'cas', nDigest);
  writeFileSync(blob, '666\n');

  const b = makeProject(files);
  const out = ok(dag(b, ['run', 'p.yaml', '--remote', url, '--plain', '-v']), 'run in B');
  assert.match(out, /corrupt on the remote/);
  assert.equal(lastRunOutcomes(b).count, 'ran');
  assert.equal(read(b, 'out/n.txt'), '5\n', 'the tampered bytes never reach the workspace');
  assert.equal(lastRunOutcomes(b).report, 'cached', 'downstream keys are unchanged: the output is the same');
  assert.equal(createHash('sha256').update(readFileSync(blob)).digest('hex'), nDigest, 'the recomputed blob replaced the bad copy');
});

test('an upstream output fetched lazily and found corrupt fails its reader clearly; --force on its producer repairs the remote', () => {
  const url = remoteUrl();
  const a = makeProject(files);
  ok(dag(a, ['run', 'p.yaml', '--remote', url]), 'run in A');
  const partTree = actionEntry(a, keys(a)['part@1']!).outputs.total!.digest;
  const tree = JSON.parse(readFileSync(join(a, 'cache', 'blobs', partTree.slice(0, 2), partTree.slice(2)), 'utf8'));
  const valueDigest: string = tree.entries.find((e: { name: string }) => e.name === 'value.txt').digest;
  const blob = join(nginx.root, `t${prefix}`, 'cas', valueDigest);
  writeFileSync(blob, '99\n');

  // B's total differs, so it runs and reads part@1's output, which only now is fetched.
  const b = makeProject({ ...files, 'p.yaml': pipeline.replace('    inputs: {values: part.*.total}', '    params: {offset: 100}\n    inputs: {values: part.*.total}') });
  const failed = dag(b, ['run', 'p.yaml', '--remote', url, '--plain']);
  assert.equal(failed.code, 1, failed.stdout + failed.stderr);
  assert.match(failed.stdout, /input values \(part@1\.total\) is unusable: cache blob [0-9a-f]{12} is corrupt on the remote .*; recompute it with --force part@1/);
  assert.doesNotMatch(failed.stdout + failed.stderr, /    at /, 'no stack trace');

  ok(dag(b, ['run', 'p.yaml', '--remote', url, '--force', 'part@1']), 'forced rerun in B');
  assert.equal(lastRunOutcomes(b).total, 'ran');
  assert.equal(read(b, 'report.txt'), '103\n5\n', '100 + 1 + 2');
  assert.equal(createHash('sha256').update(readFileSync(blob)).digest('hex'), valueDigest, 'the remote copy was repaired');
});

test('action entries are write-once: a later push never replaces one', () => {
  const url = remoteUrl();
  const stamp = 'stages:\n  s:\n    cmd: date +%s%N > t.txt\n    outs: [t.txt]\n';
  const a = makeProject({ 'p.yaml': stamp });
  ok(dag(a, ['run', 'p.yaml', '--remote', url]), 'run in A');
  const entryFile = join(nginx.root, `t${prefix}`, 'ac', keys(a).s!);
  const before = readFileSync(entryFile, 'utf8');
  const b = makeProject({ 'p.yaml': stamp });
  const out = ok(dag(b, ['run', 'p.yaml', '--remote', url, '--force', '--plain', '-v']), 'forced run in B');
  assert.notEqual(read(b, 't.txt'), read(a, 't.txt'));
  assert.match(out, /entry already there/);
  assert.equal(readFileSync(entryFile, 'utf8'), before);
});

test('with trusted keys, unsigned, foreign and altered entries are refused and recomputed; trusted ones hit', () => {
  const keysDir = mkdtempSync(join(tmpdir(), 'dag-keys-'));
  const mine = join(keysDir, 'mine.pem');
  const foreign = join(keysDir, 'foreign.pem');
  assert.match(ok(dag(keysDir, ['keygen', mine]), 'keygen'), /key id [0-9a-f]{16}/);
  ok(dag(keysDir, ['keygen', foreign]), 'keygen');
  assert.equal(dag(keysDir, ['keygen', mine]).code, 2, 'keygen never overwrites a key');
  const trust = ['--trusted-keys', `${mine}.pub`];

  const unsigned = remoteUrl();
  ok(dag(makeProject(files), ['run', 'p.yaml', '--remote', unsigned]), 'unsigned push');
  const b = makeProject(files);
  const out = ok(dag(b, ['run', 'p.yaml', '--remote', unsigned, ...trust, '--plain', '-v']), 'run with trusted keys');
  assert.match(out, /rejected: unsigned, and trusted keys are required/);
  assert.deepEqual(lastRunOutcomes(b), allRan);

  const foreignUrl = remoteUrl();
  ok(dag(makeProject(files), ['run', 'p.yaml', '--remote', foreignUrl, '--sign-key', foreign]), 'foreign-signed push');
  const c = makeProject(files);
  assert.match(ok(dag(c, ['run', 'p.yaml', '--remote', foreignUrl, ...trust, '--plain', '-v']), 'run'), /not among the trusted keys/);
  assert.deepEqual(lastRunOutcomes(c), allRan);

  const signed = remoteUrl();
  const a = makeProject(files);
  ok(dag(a, ['run', 'p.yaml', '--remote', signed, '--sign-key', mine]), 'signed push');
  const d = makeProject(files);
  ok(dag(d, ['run', 'p.yaml', '--remote', signed, ...trust], { DAG_SIGN_KEY: mine }), 'run trusting mine');
  assert.deepEqual(lastRunOutcomes(d), allCached);

  // Whoever can write to the server rewrites a signed entry to point at other bytes: refused.
  const entryFile = join(nginx.root, `t${prefix}`, 'ac', keys(a).count!);
  const envelope = JSON.parse(readFileSync(entryFile, 'utf8'));
  const result = JSON.parse(envelope.result);
  result.outputs['out/n.txt'].digest = createHash('sha256').update('666\n').digest('hex');
  envelope.result = JSON.stringify(result);
  writeFileSync(entryFile, JSON.stringify(envelope));
  const e = makeProject(files);
  const outE = ok(dag(e, ['run', 'p.yaml', '--remote', signed, '--plain', '-v'], { DAG_TRUSTED_KEYS: `${mine}.pub` }), 'run against the altered entry');
  assert.match(outE, /does not match the entry \(altered\)/);
  assert.equal(lastRunOutcomes(e).count, 'ran');
  assert.equal(read(e, 'out/n.txt'), '5\n');
});

test('a file:// remote (shared or NFS directory) round-trips too', () => {
  const shared = mkdtempSync(join(tmpdir(), 'dag-shared-'));
  const url = `file://${shared}`;
  const a = makeProject(files);
  ok(dag(a, ['run', 'p.yaml', '--remote', url]), 'run in A');
  assert.equal(readdirSync(join(shared, 'ac')).length, 5);
  const b = makeProject(files);
  ok(dag(b, ['pull', 'p.yaml', '--remote', url]), 'pull');
  ok(dag(b, ['run', 'p.yaml']), 'offline run in B');
  assert.deepEqual(lastRunOutcomes(b), allCached);
});

test('remote user errors are one clear line; an unreachable remote is a warning, not a failure', () => {
  const dir = makeProject(files);
  const bad = dag(dir, ['run', 'p.yaml', '--remote', 'ftp://example/cache']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^error: --remote: unsupported scheme "ftp:"/);
  const noKey = dag(dir, ['run', 'p.yaml', '--remote', remoteUrl(), '--trusted-keys', join(dir, 'nope.pub')]);
  assert.equal(noKey.code, 2);
  assert.match(noKey.stderr, /^error: trusted keys .*nope\.pub: no such file/);
  assert.equal(dag(dir, ['push', '--all']).code, 2);
  const down = dag(dir, ['run', 'p.yaml', '--remote', 'http://127.0.0.1:9/cache', '--plain', '-v']);
  assert.equal(down.code, 0, down.stderr);
  assert.match(down.stdout + down.stderr, /remote cache http:\/\/127\.0\.0\.1:9\/cache.*failed.*treating it as a miss/);
  assert.deepEqual(lastRunOutcomes(dir), allRan);
});
