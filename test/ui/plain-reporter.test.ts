import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PlainReporter } from '../../src/ui/plain-reporter.js';
import { CapturedOutput, loadFixture } from './streams.js';

function replay(name: Parameters<typeof loadFixture>[0], verbose = false): string[] {
  const out = new CapturedOutput();
  const reporter = new PlainReporter({ out, verbose });
  for (const e of loadFixture(name)) reporter.onEvent(e);
  reporter.close();
  return out.lines;
}

test('a run with cache hits and a training stage reads as one line per event', () => {
  const lines = replay('train-with-cache');
  assert.match(lines[0]!, /^dag run run-20261129-a1: pipelines\/quickstart\.yaml, 4 stages \(2 cached, 2 to run\), jobs 2, cpus 2, gpus none$/);
  assert.match(lines.find((l) => l.includes('cached   data/load'))!, /^\[00:00\] cached   data\/load\s+saved 8\.4s\s+classes 100  images 50000$/);
  assert.match(lines.find((l) => l.includes('start    train@0'))!, /cpu 1$/);
  const done = lines.find((l) => l.includes('done     train@0'))!;
  assert.match(done, /^\[00:09\] done     train@0\s+9\.5s\s+accuracy 0\.\d+\s+val_accuracy 0\.\d+\s+loss \d\.\d+/);
  assert.match(lines.find((l) => l.includes('done     eval'))!, /balanced_accuracy 0\.641\s+macro_f1 0\.629\s+accuracy 0\.713/);
  // Queued events and log lines only appear with --verbose.
  assert.equal(lines.filter((l) => l.includes('queued') || l.includes('| ')).length, 0);
});

test('per-batch progress is rate-limited to one line per stage per 2 s, plus the final step', () => {
  const events = loadFixture('train-with-cache');
  const lines = replay('train-with-cache');
  const progressEvents = events.filter((e) => e.type === 'stage-progress' && e.stageId === 'train@0');
  const progressLines = lines.filter((l) => l.includes('progress train@0'));
  assert.equal(progressEvents.length, 75);
  // 9 s of training at 120 ms per batch: a line every 2 s (5) and the last batch of each epoch (3),
  // minus overlaps; never one per batch.
  assert.ok(progressLines.length >= 5 && progressLines.length <= 8, `${progressLines.length} progress lines`);
  assert.match(progressLines[0]!, /progress train@0\s+epoch 1\/3, batch 1\/25 \(1%\)\s+loss \d\.\d+\s+acc 0\.\d+\s+lr 1\.0e-3\s+img\/s \d{4}$/);
  assert.ok(progressLines.some((l) => /epoch 3\/3, batch 25\/25 \(100%\)/.test(l)), 'final progress line');
  const times = progressLines.map((l) => l.slice(1, 6));
  assert.deepEqual(times, [...times].sort());
});

test('a failing stage prints its first error lines and the summary names it', () => {
  const lines = replay('failing-stage');
  const failedAt = lines.findIndex((l) => l.includes('FAILED   train@1'));
  assert.ok(failedAt > 0);
  assert.match(lines[failedAt]!, /worker for train@1 exited with code 134 \(SIGABRT\)$/);
  assert.match(lines[failedAt + 1]!, /^\s{34}FATAL ERROR: Reached heap limit/);
  assert.match(lines.find((l) => l.includes('skipped  vote'))!, /needs train@1, which failed$/);
  const summaryAt = lines.findIndex((l) => l.startsWith('run failed'));
  assert.match(lines[summaryAt]!, /^run failed in 3\.\ds: 1 ran, 1 cached \(saved 8\.4s\), 1 failed, 2 skipped$/);
  const summary = lines.slice(summaryAt).join('\n');
  assert.match(summary, /failed: train@1 after 2\.\ds\n  worker for train@1 exited with code 134 \(SIGABRT\)\n  FATAL ERROR: Reached heap limit/);
  assert.match(summary, /skipped: vote \(needs train@1, which failed\), eval \(needs vote, which was skipped\)/);
});

test('a cancelled run says it is stopping, then summarises as cancelled', () => {
  const lines = replay('cancelled');
  assert.ok(lines.some((l) => /^\[00:0\d\] stopping: no new stages; waiting for running ones/.test(l)));
  assert.match(lines.find((l) => l.startsWith('run '))!, /^run cancelled in \d+\.\ds: 0 ran, 1 cached \(saved 8\.4s\), 1 failed, 1 skipped$/);
  assert.match(lines.find((l) => l.includes('start    teacher'))!, /cpu 2, gpu 0$/);
});

test('the summary lists the headline metric of evaluation stages only', () => {
  const lines = replay('train-with-cache');
  const summary = lines.slice(lines.findIndex((l) => l.startsWith('run succeeded')));
  assert.match(summary[0]!, /^run succeeded in 10\.\ds: 2 ran, 2 cached \(saved 10\.5s\)$/);
  assert.match(summary[1]!, /^ran: train@0 9\.5s, eval 0\.8s$/);
  assert.deepEqual(summary.filter((l) => l.includes(': balanced_accuracy') || l.includes(': accuracy')), ['eval: balanced_accuracy 0.641']);
});

test('verbose mode adds queued events and every log line', () => {
  const lines = replay('train-with-cache', true);
  assert.ok(lines.some((l) => /queued   train@0/.test(l)));
  assert.ok(lines.some((l) => /log      train@0\s+\| backend: tensorflow \(wasm\)/.test(l)));
  assert.equal(lines.filter((l) => l.includes('| epoch ')).length, 3);
});
