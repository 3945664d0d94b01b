/**
 * Streams recorded from the real engine (`dag run --json` on the end-to-end test's pipeline, then
 * again on a warm cache), so the reporters are checked against what the engine really emits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { render } from 'ink-testing-library';
import { LiveView } from '../../src/ui/ink/live-view.js';
import { PlainReporter } from '../../src/ui/plain-reporter.js';
import { RunState } from '../../src/ui/run-state.js';
import { CapturedOutput, loadFixture } from './streams.js';

const ANSI = /\u001B\[[0-9;?]*[A-Za-z]/g;

test('a recorded engine run replays into the live view mid-training', () => {
  const events = loadFixture('engine-run');
  const run = new RunState();
  const lastProgress = events.findLastIndex((e) => e.type === 'stage-progress' && e.stageId === 'train' && e.progress.label === 'epoch 2/3');
  for (const e of events.slice(0, lastProgress + 1)) run.apply(e);
  const app = render(<LiveView run={run} now={() => run.lastEventTime} rows={30} />);
  const frame = (app.lastFrame() ?? '').replace(ANSI, '');
  assert.match(frame, /▶\s+train\s+running\s+[█░]{10}\s+\d+%\s+epoch 2\/3 · batch \d+\/20\s+ETA \d+\.\ds\s+cpu 1\s+loss \d\.\d+/);
  assert.match(frame, /✗\s+broken\s+failed\s+\d\.\ds\s+command exited with code 3/);
  assert.match(frame, /–\s+report\s+skipped needs broken, which failed/);
  assert.match(frame, /·\s+eval\s+waiting upstream train will run/);
  assert.match(frame, /^loss \d\.\d+ [▁▂▃▄▅▆▇█]+\s+acc 0\.\d+\s+lr 5\.0e-4\s+img\/s 20\d\d$/m);
  app.unmount();
});

test('a recorded rerun on a warm cache: the summary counts the hits and the time they saved', () => {
  const out = new CapturedOutput();
  const reporter = new PlainReporter({ out });
  const events = loadFixture('engine-rerun');
  for (const e of events) reporter.onEvent(e);
  const saved = events.reduce((sum, e) => sum + (e.type === 'stage-cached' ? e.savedMs : 0), 0);
  assert.equal(Math.round(saved / 100), 48, 'prepare, train and eval as long as they took in the first run');
  const summary = out.lines.slice(out.lines.findIndex((l) => l.startsWith('run ')));
  assert.deepEqual(summary.slice(0, 1), ['run failed in 0.3s: 0 ran, 3 cached (saved 4.8s), 1 failed, 1 skipped']);
  assert.ok(summary.includes('eval: balanced_accuracy 0.64 (cached)'), summary.join('\n'));
  assert.ok(summary.includes('  Error: shard 3 is truncated (expected 4096 bytes, got 17)'));
});
