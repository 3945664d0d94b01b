import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dagOrder } from '../../src/ui/dag-order.js';
import { RunState } from '../../src/ui/run-state.js';
import { progressFraction, runEtaMs, stageEtaMs } from '../../src/ui/progress.js';
import { formatDuration, formatMetricValue, sparkline } from '../../src/ui/format.js';
import { fastStagesRun, loadFixture } from './streams.js';

test('DAG order puts a stage after its needs, keeps plan order otherwise, and gives depths', () => {
  const order = dagOrder([
    { stageId: 'eval', kind: 'eval/x', needs: ['vote'], state: 'will-run', reasons: [] },
    { stageId: 'load', kind: 'data/x', needs: [], state: 'cached', reasons: [] },
    { stageId: 'b', kind: 't', needs: ['load', 'file:data/raw.txt'], state: 'will-run', reasons: [] },
    { stageId: 'a', kind: 't', needs: ['load'], state: 'will-run', reasons: [] },
    { stageId: 'vote', kind: 'e', needs: ['a', 'b'], state: 'will-run', reasons: [] },
  ]);
  assert.deepEqual(order.map((o) => `${o.entry.stageId}:${o.depth}`), ['load:0', 'b:1', 'a:1', 'vote:2', 'eval:3']);
});

test('DAG order of a wide plan: plan order where it is topological, needs first where it is not', () => {
  const wide = fastStagesRun(1000)[0]!;
  assert.equal(wide.type, 'run-started');
  const plan = wide.type === 'run-started' ? wide.stages : [];
  assert.deepEqual(dagOrder(plan).map((o) => o.entry.stageId), plan.map((s) => s.stageId));
  assert.equal(dagOrder(plan).at(-1)!.depth, 99, 'a chain of 100 layers of 10');
  // The same plan listed backwards: every stage still comes after what it needs, and among the
  // stages ready at a time the earliest in the plan goes first (the roots s0009..s0000 last in it).
  const order = dagOrder([...plan].reverse()).map((o) => o.entry.stageId);
  const position = new Map(order.map((id, i) => [id, i]));
  for (const s of plan) for (const n of s.needs) assert.ok(position.get(n)! < position.get(s.stageId)!, `${n} before ${s.stageId}`);
  assert.deepEqual(order.slice(0, 3), ['s0009', 's0019', 's0029']);
});

test('replaying a run leaves each stage in its final state with its metrics and log tail', () => {
  const run = new RunState();
  for (const e of loadFixture('failing-stage')) run.apply(e);
  assert.deepEqual(run.stages.map((s) => `${s.id}=${s.state}`), ['data/load=cached', 'train@0=done', 'train@1=failed', 'vote=skipped', 'eval=skipped']);
  assert.equal(run.status, 'failed');
  const t1 = run.stage('train@1')!;
  assert.match(t1.error!, /exited with code 134/);
  assert.equal(run.logTail('train@1', 1)[0]!.line, 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory');
  // 10 batches of epoch 1 + 3 of epoch 2 before the crash, each with a loss.
  assert.equal(t1.lossHistory.length, 13 + 1);
  assert.equal(typeof run.stage('train@0')!.metrics.val_accuracy, 'number');
});

test('training progress folds the epoch of the label into the fraction, and ETA extrapolates it', () => {
  assert.equal(progressFraction({ step: 5, total: 10, unit: 'batch', label: 'epoch 2/4' }), 0.375);
  assert.equal(progressFraction({ step: 3, total: 4, unit: 'epoch', label: 'epoch 3/4' }), 0.75);
  assert.equal(progressFraction({ step: 50, total: 200 }), 0.25);
  const events = loadFixture('cancelled');
  const run = new RunState();
  // Up to the stop request: the teacher is 27 batches (of 200) in.
  for (const e of events.slice(0, events.findIndex((e) => e.type === 'run-cancelling'))) run.apply(e);
  const teacher = run.stage('teacher')!;
  const f = progressFraction(teacher.progress!);
  assert.equal(f, (1 + 7 / 20) / 10);
  const elapsed = teacher.progress!.time - teacher.startedAt!;
  assert.equal(Math.round(stageEtaMs(teacher, run.lastEventTime)!), Math.round((elapsed * (1 - f)) / f));
  // No stage finished yet: the waiting eval stage is guessed to take as long as the teacher's
  // projected duration, and one job slot runs them one after the other.
  const now = run.lastEventTime;
  const teacherEta = stageEtaMs(teacher, now)!;
  assert.equal(Math.round(runEtaMs(run, now)!), Math.round(teacherEta + (now - teacher.startedAt! + teacherEta)));
  const empty = new RunState();
  empty.apply(events[0]!);
  assert.equal(runEtaMs(empty, events[0]!.time), undefined, 'nothing to extrapolate from yet');
});

test('run ETA spreads the remaining stages over the job slots at the mean stage duration', () => {
  const run = new RunState();
  for (const e of fastStagesRun(100, { upTo: 50, running: 0, stageMs: 10 })) run.apply(e);
  const left = run.stages.filter((s) => s.state === 'waiting' && s.planState !== 'blocked').length;
  assert.equal(left, 50);
  assert.equal(runEtaMs(run, run.lastEventTime), (left * 10) / 2);
});

test('formats stay short', () => {
  assert.equal(formatDuration(420), '0.4s');
  assert.equal(formatDuration(61_000), '1m01s');
  assert.equal(formatDuration(3_720_000), '1h02m');
  assert.equal(formatMetricValue(0.000125), '1.3e-4');
  assert.equal(formatMetricValue(0.71234), '0.712');
  assert.equal(formatMetricValue(2143.7), '2144');
  assert.equal(sparkline([4, 3, 2, 1], 4), '█▆▃▁');
  assert.equal(sparkline([1, 1, 5, 5], 2), '▁█');
});
