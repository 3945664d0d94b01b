import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RedrawThrottle } from '../../src/ui/redraw-throttle.js';
import { stageWindow } from '../../src/ui/stage-window.js';
import type { StageState } from '../../src/ui/run-state.js';

test('a burst of redraw requests becomes one frame now and one when the interval is over', async () => {
  let t = 0;
  const throttle = new RedrawThrottle({ minIntervalMs: 50, clock: () => t });
  let frames = 0;
  throttle.subscribe(() => frames++);
  for (let i = 0; i < 5000; i++) throttle.request();
  assert.equal(frames, 1);
  assert.equal(throttle.frames, 1);
  t = 20;
  for (let i = 0; i < 5000; i++) throttle.request();
  assert.equal(frames, 1, 'still inside the interval');
  t = 50;
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(frames, 2);
  throttle.flush();
  assert.equal(frames, 3, 'flush draws at once');
  throttle.dispose();
});

test('with a budget, a slow frame stretches the interval so drawing keeps to its share of the time', () => {
  let t = 0;
  const throttle = new RedrawThrottle({ minIntervalMs: 100, maxIntervalMs: 1000, budget: 0.02, clock: () => t });
  let cost = 1;
  throttle.subscribe(() => void (t += cost));
  throttle.flush();
  assert.equal(throttle.intervalMs, 100, 'a 1 ms frame keeps the 10 frames/s cap');
  cost = 6;
  throttle.flush();
  assert.equal(throttle.intervalMs, 300);
  cost = 50;
  throttle.flush();
  assert.equal(throttle.intervalMs, 1000, 'never slower than one frame a second');
  const frames = throttle.frames;
  t += 500;
  throttle.request();
  assert.equal(throttle.frames, frames, '500 ms after a slow frame is too early');
  throttle.dispose();
});

test('the stage window keeps running, failed and selected stages and counts the rest', () => {
  const states: StageState[] = Array.from({ length: 300 }, (_, i) => (i < 100 ? 'done' : 'waiting'));
  states[100] = 'running';
  states[7] = 'failed';
  const rows = stageWindow(states, 250, 12);
  assert.ok(rows.length <= 12, `${rows.length} rows`);
  const shown = rows.flatMap((r) => (r.kind === 'stage' ? [r.index] : []));
  for (const i of [7, 100, 250]) assert.ok(shown.includes(i), `stage ${i} shown`);
  const covered = rows.reduce((n, r) => n + (r.kind === 'stage' ? 1 : r.to - r.from), 0);
  assert.equal(covered, 300);
  // Rows stay in order and hidden ranges sit exactly between shown stages.
  let next = 0;
  for (const r of rows) {
    const from = r.kind === 'stage' ? r.index : r.from;
    assert.equal(from, next);
    next = r.kind === 'stage' ? r.index + 1 : r.to;
  }
  assert.deepEqual(stageWindow(['done', 'running'], 0, 12), [{ kind: 'stage', index: 0 }, { kind: 'stage', index: 1 }]);
});
