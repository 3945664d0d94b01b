// Distributed runs with a real redis-server on loopback and two `dag worker` processes: stages
// spread over both, results equal a local run's, a worker killed mid-stage loses nothing, and a
// Redis restart mid-run is survived (or, if Redis stays away, reported in one clear line).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dag, dagAsync, dagBin, fixtureNodes, history, lastRunOutcomes, makeProject, read, waitFor } from '../helpers/cli.js';
import { startNginxCache, startRedis, type NginxCache, type RedisServer } from '../helpers/servers.js';

const pipeline = (sleepMs: number) => [
  'stages:',
  '  count:', '    cmd: mkdir -p out && wc -c < src.txt | tr -d " " > out/n.txt', '    deps: [src.txt]', '    outs: [out/n.txt]',
  '  part:', '    foreach: [1, 2, 3, 4]', '    node: testing/sum', `    params: {offset: "\${item}", sleepMs: ${sleepMs}}`,
  '  total:', '    node: testing/sum', '    inputs: {values: part.*.total}',
  '  report:', '    cmd: cat ${inputs.t}/value.txt out/n.txt > report.txt', '    deps: [out/n.txt]', '    inputs: {t: total.total}', '    outs: [report.txt]',
].join('\n');
const stageIds = ['count', 'part@1', 'part@2', 'part@3', 'part@4', 'total', 'report'];

interface WorkerProcess {
  name: string;
  child: ChildProcess;
  log(): string;
  stop(): Promise<void>;
}

const workers: WorkerProcess[] = [];
let nginx: NginxCache;
before(async () => {
  nginx = await startNginxCache();
});
after(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await nginx?.stop();
});

// Short enough that a dead worker's job moves on within seconds, long enough that a busy CI machine
// does not take a live worker for dead.
async function startWorker(name: string, redis: string, remote: string, extra: string[] = [], lockMs = 4000): Promise<WorkerProcess> {
  const cache = mkdtempSync(join(tmpdir(), `dag-worker-${name}-`));
  const child = spawn(process.execPath, [dagBin, 'worker', '--redis', redis, '--remote', remote, '--cpus', '1', '--cache', cache, '--name', name, '--lock-ms', String(lockMs), ...extra], {
    env: { ...process.env, DAG_NODE_PATH: fixtureNodes }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const w: WorkerProcess = {
    name, child, log: () => out,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    }),
  };
  workers.push(w);
  await waitFor(() => /ready: queues dag-cpu/.test(out) || child.exitCode !== null, 20_000, `worker ${name} to start`);
  assert.match(out, /ready/, out);
  return w;
}

function runKeys(dir: string): Record<string, string | undefined> {
  return Object.fromEntries(history(dir).at(-1)!.stages.map((s) => [s.stageId, s.key]));
}

function entry(dir: string, key: string): { outputs: Record<string, { digest: string }>; provenance: Record<string, string> } {
  return JSON.parse(read(dir, `cache/actions/${key.slice(0, 2)}/${key.slice(2)}.json`));
}

function distributedArgs(redis: RedisServer, remote: string): string[] {
  return ['run', 'p.yaml', '--executor', 'bullmq', '--redis', redis.url, '--remote', remote, '--plain', '-v'];
}

test('stages spread over two workers; keys and outputs equal those of a local run', async () => {
  const redis = await startRedis();
  const remote = `${nginx.url}/spread`;
  try {
    const w1 = await startWorker('w1', redis.url, remote);
    const w2 = await startWorker('w2', redis.url, remote);
    const dist = makeProject({ 'p.yaml': pipeline(600), 'src.txt': 'hello' });
    const r = await dagAsync(dist, distributedArgs(redis, remote)).done;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(lastRunOutcomes(dist), Object.fromEntries(stageIds.map((id) => [id, 'ran'])));
    assert.match(r.stdout, /running on worker w1/);
    assert.match(r.stdout, /running on worker w2/);
    assert.match(r.stdout, /progress part@1/, 'progress streamed back from the worker');

    const keys = runKeys(dist);
    const ranOn = new Set(stageIds.map((id) => entry(dist, keys[id]!).provenance.worker));
    assert.deepEqual(ranOn, new Set(['w1', 'w2']));

    const local = makeProject({ 'p.yaml': pipeline(600), 'src.txt': 'hello' });
    assert.equal(dag(local, ['run', 'p.yaml']).code, 0);
    assert.deepEqual(runKeys(local), keys);
    for (const id of stageIds) assert.deepEqual(entry(dist, keys[id]!).outputs, entry(local, keys[id]!).outputs, id);
    assert.equal(read(dist, 'report.txt'), read(local, 'report.txt'));
    assert.equal(read(dist, 'report.txt'), '10\n5\n');
    void w1;
    void w2;
  } finally {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
    await redis.stop();
  }
});

test('kill -9 of a worker mid-stage: another picks the job up; nothing lost or recorded twice', async () => {
  const redis = await startRedis();
  const shared = mkdtempSync(join(tmpdir(), 'dag-shared-'));
  const remote = `file://${shared}`;
  try {
    const victim = await startWorker('victim', redis.url, remote);
    const survivor = await startWorker('survivor', redis.url, remote);
    const dir = makeProject({ 'p.yaml': pipeline(4000), 'src.txt': 'hello' });
    const run = dagAsync(dir, distributedArgs(redis, remote));
    await waitFor(() => /part@\d: started/.test(victim.log()), 20_000, 'the victim to start a stage');
    victim.child.kill('SIGKILL');
    const stolen = /(part@\d): started/.exec(victim.log())![1]!;
    const r = await run.done;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(lastRunOutcomes(dir), Object.fromEntries(stageIds.map((id) => [id, 'ran'])));
    const recorded = history(dir).at(-1)!.stages.map((s) => s.stageId).sort();
    assert.deepEqual(recorded, [...stageIds].sort(), 'each stage recorded exactly once');
    assert.equal(readdirSync(join(shared, 'ac')).length, stageIds.length, 'one remote entry per stage');
    const keys = runKeys(dir);
    assert.equal(entry(dir, keys[stolen]!).provenance.worker, 'survivor', `${stolen} finished on the survivor`);
    assert.match(survivor.log(), new RegExp(`${stolen.replace('@', '@')}: done`));
    assert.equal(read(dir, 'report.txt'), '10\n5\n');
  } finally {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
    await redis.stop();
  }
});

test('Redis restarted mid-run: the coordinator reconnects, requeues what Redis lost, and completes', async () => {
  const redis = await startRedis();
  const shared = mkdtempSync(join(tmpdir(), 'dag-shared-'));
  const remote = `file://${shared}`;
  try {
    const w = await startWorker('w', redis.url, remote);
    await startWorker('w2', redis.url, remote);
    const dir = makeProject({ 'p.yaml': pipeline(1500), 'src.txt': 'hello' });
    const run = dagAsync(dir, distributedArgs(redis, remote));
    await waitFor(() => /part@\d: started/.test(w.log() + workers[1]!.log()), 20_000, 'a stage to start');
    await new Promise((r) => setTimeout(r, 300));
    await redis.kill();
    await new Promise((r) => setTimeout(r, 1000));
    await redis.restart();
    const r = await run.done;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /vanished from Redis \(restarted\?\); queueing it again/, `${r.stdout}\n--- w\n${w.log()}\n--- w2\n${workers[1]!.log()}`);
    assert.deepEqual(lastRunOutcomes(dir), Object.fromEntries(stageIds.map((id) => [id, 'ran'])));
    assert.equal(read(dir, 'report.txt'), '10\n5\n');
    assert.equal(readdirSync(join(shared, 'ac')).length, stageIds.length);
  } finally {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
    await redis.stop();
  }
});

test('Redis gone for good: the run fails with one clear line, no stack trace', async () => {
  const redis = await startRedis();
  const shared = mkdtempSync(join(tmpdir(), 'dag-shared-'));
  const remote = `file://${shared}`;
  try {
    const w = await startWorker('w', redis.url, remote);
    const dir = makeProject({ 'p.yaml': pipeline(1500), 'src.txt': 'hello' });
    const run = dagAsync(dir, distributedArgs(redis, remote), { DAG_REDIS_DOWN_MS: '2000' });
    await waitFor(() => /part@\d: started/.test(w.log()), 20_000, 'a stage to start');
    await redis.kill();
    const r = await run.done;
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /lost the connection to Redis at redis:\/\/127\.0\.0\.1:\d+\/? for more than 2 s/);
    assert.doesNotMatch(r.stdout + r.stderr, /    at /, 'no stack trace');
  } finally {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
    await redis.stop();
  }
});

test('GPU stages wait for a GPU worker, then get its device ids in CUDA_VISIBLE_DEVICES', async () => {
  const redis = await startRedis();
  const shared = mkdtempSync(join(tmpdir(), 'dag-shared-'));
  const remote = `file://${shared}`;
  try {
    await startWorker('cpu-box', redis.url, remote, ['--gpus', '']);
    const dir = makeProject({
      'p.yaml': [
        'stages:',
        '  g:', '    cmd: echo "gpus=$CUDA_VISIBLE_DEVICES" > g.txt', '    outs: [g.txt]', '    resources: {gpu: 1}',
        '  c:', '    cmd: echo "gpus=$CUDA_VISIBLE_DEVICES" > c.txt', '    outs: [c.txt]',
      ].join('\n'),
    });
    const run = dagAsync(dir, distributedArgs(redis, remote));
    await waitFor(() => /no dag worker serves dag-gpu yet; g waits/.test(run.output().stdout), 20_000, 'the coordinator to say g waits');
    await startWorker('gpu-box', redis.url, remote, ['--gpus', '5']);
    const r = await run.done;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(read(dir, 'g.txt'), 'gpus=5\n');
    assert.equal(read(dir, 'c.txt'), 'gpus=\n', 'a stage granted no GPU sees none');
    assert.equal(entry(dir, runKeys(dir).g!).provenance.worker, 'gpu-box');
  } finally {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
    await redis.stop();
  }
});

test('distributed runs need --redis and --remote: one clear line each', () => {
  const dir = makeProject({ 'p.yaml': pipeline(0), 'src.txt': 'hello' });
  const noRedis = dag(dir, ['run', 'p.yaml', '--executor', 'bullmq', '--remote', 'file:///tmp']);
  assert.equal(noRedis.code, 2);
  assert.match(noRedis.stderr, /^error: --executor bullmq needs --redis URL/);
  const noRemote = dag(dir, ['run', 'p.yaml', '--executor', 'bullmq', '--redis', 'redis://127.0.0.1:1']);
  assert.equal(noRemote.code, 2);
  assert.match(noRemote.stderr, /^error: --executor bullmq needs --remote URL/);
  const worker = dag(dir, ['worker', '--remote', 'file:///tmp']);
  assert.equal(worker.code, 2);
  assert.match(worker.stderr, /^error: dag worker needs --redis URL/);
});
