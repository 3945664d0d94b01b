/**
 * pipelines/seed-replica.yaml end to end at a tiny budget, through its params only: six classes
 * trained from the shared folder and scored on a *separate* test source with the same classes
 * (renderer-check/: Google's own first drawings of those classes), mobile2 teachers, their vote,
 * evaluation, report and the competition CSV. The competition params file must resolve as well.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { dag, dagAsync, history, makeProject, repoRoot, sharedData } from '../helpers/cli.js';

const CLASSES = ['apple', 'bicycle', 'cat', 'diamond', 'eye', 'fish'];

test('seed-replica at a tiny budget: teachers and vote score a separate test source well above chance', async (t) => {
  const dir = makeProject({ 'six-classes.txt': CLASSES.join('\n') + '\n' });
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(repoRoot, 'pipelines'), join(dir, 'pipelines'), { recursive: true });
  const set = (k: string, v: string) => ['--set', `${k}=${v}`];
  const args = [
    ...set('source.path', sharedData),
    ...set('testSource.path', join(sharedData, 'renderer-check')),
    ...set('classesFile', 'six-classes.txt'),
    ...set('trainMax', '100'), ...set('trainMin', '20'), ...set('testPerClass', '25'), ...set('oversampleTo', '100'),
    ...set('seeds', '[1, 2]'), ...set('epochs', '5'), ...set('width', '0.5'), ...set('batchSize', '32'), ...set('lr', '0.003'),
    ...set('bnMomentum', '0.9'), ...set('backend', 'wasm'),
  ];
  const r = await dagAsync(dir, ['run', 'pipelines/seed-replica.yaml', '--plain', ...args]).done;
  assert.equal(r.code, 0, r.stderr + r.stdout.slice(-2000));
  const stages = history(dir).at(-1)!.stages as unknown as { stageId: string; metrics?: Record<string, number> }[];
  const m = stages.find((s) => s.stageId === 'eval')!.metrics!;
  console.log(`seed-replica, 6 classes, separate test source: accuracy ${m.accuracy}, balanced ${m.balanced_accuracy}`);
  assert.equal(stages.find((s) => s.stageId === 'data')!.metrics!.test, 6 * 25, 'every test row comes from renderer-check/');
  assert.ok(m.accuracy! >= 0.45, `vote accuracy ${m.accuracy} (chance ${(1 / 6).toFixed(3)})`);

  const got = dag(dir, ['get', 'pipelines/seed-replica.yaml', 'submission.submission', 'out', ...args]);
  assert.equal(got.code, 0, got.stderr);
  const lines = readFileSync(join(dir, 'out', 'submission.csv'), 'utf8').trim().split('\n');
  assert.equal(lines[0], 'id,label');
  assert.equal(lines.length, 1 + 6 * 25);
  assert.ok(lines.slice(1).every((l, i) => new RegExp(`^${i},(${CLASSES.join('|')})$`).test(l)));
});

test('the competition params file switches both sources to Google\'s bucket without editing the pipeline', () => {
  const dir = makeProject({});
  cpSync(join(repoRoot, 'pipelines'), join(dir, 'pipelines'), { recursive: true });
  const dataKey = (extra: string[]) => {
    const r = dag(dir, ['status', 'pipelines/seed-replica.yaml', '--json', ...extra]);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { stageId: string; key?: string }[]).find((s) => s.stageId === 'data')?.key;
  };
  const lt100 = dataKey([]);
  const competition = dataKey(['--params', 'pipelines/params/competition.yaml']);
  const byHand = dataKey(['--set', 'source={type: google}', '--set', 'testSource={type: google}', '--set', 'trainMax=1000', '--set', 'trainMin=10', '--set', 'testPerClass=1000']);
  rmSync(dir, { recursive: true, force: true });
  assert.ok(lt100 && competition && lt100 !== competition);
  assert.equal(competition, byHand, 'the params file is exactly the Google source at competition scale');
});
