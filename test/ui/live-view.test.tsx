import { test } from 'node:test';
import assert from 'node:assert/strict';
import { render } from 'ink-testing-library';
import type { RunEvent } from '../../src/exec/events.js';
import { LiveView } from '../../src/ui/ink/live-view.js';
import { RunState } from '../../src/ui/run-state.js';
import { fastStagesRun, loadFixture } from './streams.js';

const ANSI = /\u001B\[[0-9;?]*[A-Za-z]/g;
const DOWN = '\u001B[B';
const UP = '\u001B[A';

/** Mounts the live view on a replayed stream; `feed` applies events and redraws like the reporter. */
function mount(opts: { rows?: number; onStopRequest?: (force: boolean) => void } = {}) {
  const run = new RunState();
  const view = () => <LiveView run={run} now={() => run.lastEventTime} rows={opts.rows ?? 30} onStopRequest={opts.onStopRequest} />;
  const app = render(view());
  return {
    run,
    /** Applies events and re-renders, as the reporter does when its throttle ticks. */
    async feed(events: RunEvent[]) {
      for (const e of events) run.apply(e);
      app.rerender(view());
    },
    /** Types a key `times` times without waiting between, like a user holding it down. */
    async hold(key: string, times: number) {
      const drawn = app.frames.length;
      for (let i = 0; i < times; i++) app.stdin.write(key);
      for (let waited = 0; app.frames.length === drawn && waited < 1000; waited += 5) await sleep(5);
    },
    frame: () => (app.lastFrame() ?? '').replace(ANSI, ''),
    /** Types a key and waits until the view has redrawn (React commits asynchronously). */
    async press(keys: string) {
      const drawn = app.frames.length;
      app.stdin.write(keys);
      for (let waited = 0; app.frames.length === drawn && waited < 1000; waited += 5) await sleep(5);
    },
    unmount: () => app.unmount(),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const until = (events: RunEvent[], predicate: (e: RunEvent) => boolean) => events.slice(0, events.findIndex(predicate));
const line = (frame: string, needle: string | RegExp) =>
  frame.split('\n').find((l) => (typeof needle === 'string' ? l.includes(needle) : needle.test(l))) ?? '';

test('running stages show a progress bar, epoch and batch, ETA, devices and the loss sparkline', async () => {
  const events = loadFixture('failing-stage');
  const view = mount();
  await view.feed(until(events, (e) => e.type === 'stage-failed'));
  const frame = view.frame();
  assert.match(line(frame, '5 stages'), /5 stages: 2 running · 1 cached · 2 waiting │ jobs 2 · cpus 2 · gpus none/);
  assert.match(line(frame, /▶\s+train@0/), /running [█░]{10}\s+\d+%\s+epoch 2\/2 · batch \d+\/10\s+ETA \d+\.\ds\s+cpu 1\s+loss \d\.\d+ [▁▂▃▄▅▆▇█]+/);
  assert.match(line(frame, /▶\s+train@1/), /running .*epoch 2\/2 · batch 3\/10/);
  assert.match(line(frame, /✓ data\/load/), /cached\s+saved 8\.4s/);
  assert.match(line(frame, /·\s+vote/), /waiting never ran/);
  // The first running stage is selected and detailed, with its live metrics and log tail.
  assert.match(line(frame, '── '), /── train@0 · train\/cnn · needs data\/load/);
  assert.match(line(frame, /^loss /), /^loss \d\.\d+ [▁▂▃▄▅▆▇█]{10,}\s+acc 0\.\d+\s+lr 5\.0e-4\s+img\/s \d{4}$/);
  assert.match(frame, /│ epoch 1\/2 loss=/);
  view.unmount();
});

test('a failed stage shows its first error line and downstream stages show why they were skipped', async () => {
  const events = loadFixture('failing-stage');
  const view = mount();
  await view.feed(until(events, (e) => e.type === 'run-finished'));
  const frame = view.frame();
  assert.match(line(frame, /✗\s+train@1/), /failed\s+2\.\ds\s+worker for train@1 exited with code 134 \(SIGABRT\)/);
  assert.match(line(frame, /–\s+vote/), /skipped needs train@1, which failed/);
  assert.match(line(frame, /✓\s+train@0/), /done\s+3\.\ds\s+accuracy 0\.\d+/);
  // With nothing running, the view follows the failure: its error and its stderr tail.
  assert.match(line(frame, '── '), /── train@1/);
  assert.match(frame, /│ FATAL ERROR: Reached heap limit/);
  view.unmount();
});

test('j/k and the arrow keys move the selection; l toggles the log', async () => {
  const events = loadFixture('train-with-cache');
  const view = mount();
  await view.feed(until(events, (e) => e.type === 'stage-finished'));
  assert.match(line(view.frame(), '── '), /── train@0/);
  assert.match(line(view.frame(), /^›/), /train@0/);
  await view.press('k');
  assert.match(line(view.frame(), '── '), /── balance · data\/balance · needs data\/load/);
  assert.match(line(view.frame(), /^cache hit/), /cache hit 8be02f11a0, saved 2\.1s/);
  await view.press(UP);
  assert.match(line(view.frame(), '── '), /── data\/load/);
  await view.press(UP);
  assert.match(line(view.frame(), '── '), /── data\/load/, 'the selection stops at the first stage');
  await view.press('j');
  await view.press(DOWN);
  await view.press(DOWN);
  assert.match(line(view.frame(), '── '), /── eval · eval\/classification · needs train@0, data\/load/);
  // The picked stage stays selected as the run moves on.
  await view.feed(events.slice(events.findIndex((e) => e.type === 'stage-finished'), -1));
  assert.match(line(view.frame(), '── '), /── eval/);

  await view.press('k');
  assert.match(view.frame(), /│ backend: tensorflow \(wasm\), 2 threads/);
  await view.press('l');
  assert.doesNotMatch(view.frame(), /^│ /m);
  assert.match(view.frame(), /l show log/);
  await view.press('l');
  assert.match(view.frame(), /│ epoch 3\/3 loss=/);
  view.unmount();
});

test('q asks the engine to stop, a second q or Ctrl-C asks it to kill', async () => {
  const calls: boolean[] = [];
  const events = loadFixture('cancelled');
  const view = mount({ onStopRequest: (force) => calls.push(force) });
  await view.feed(until(events, (e) => e.type === 'run-cancelling'));
  await view.press('q');
  assert.deepEqual(calls, [false]);
  assert.match(view.frame(), /stopping: no new stages, waiting for running ones · q or Ctrl-C again to kill/);
  await view.press('\u0003');
  assert.deepEqual(calls, [false, true]);
  assert.match(view.frame(), /killing running stages/);
});

test('Ctrl-C alone is a graceful stop request, not an exit', async () => {
  const calls: boolean[] = [];
  const view = mount({ onStopRequest: (force) => calls.push(force) });
  await view.feed(loadFixture('cancelled').slice(0, 10));
  await view.press('\u0003');
  assert.deepEqual(calls, [false]);
  assert.match(view.frame(), /── teacher/, 'the view is still there');
  view.unmount();
});

test('the end of the run turns the view into the summary', async () => {
  const view = mount();
  await view.feed(loadFixture('train-with-cache'));
  const lines = view.frame().split('\n');
  assert.deepEqual(lines, [
    'dag run run-20261129-a1 · pipelines/quickstart.yaml',
    'run succeeded in 10.4s: 2 ran, 2 cached (saved 10.5s)',
    'ran: train@0 9.5s, eval 0.8s',
    'eval: balanced_accuracy 0.641',
  ]);
  const failed = mount();
  await failed.feed(loadFixture('failing-stage'));
  assert.match(failed.frame(), /run failed in 3\.4s: 1 ran, 1 cached \(saved 8\.4s\), 1 failed, 2 skipped\n/);
  assert.match(failed.frame(), /failed: train@1 after 2\.3s\n  worker for train@1 exited with code 134 \(SIGABRT\)\n  FATAL ERROR/);
  view.unmount();
  failed.unmount();
});

test('a 1,000-stage pipeline shows a window around what runs, with counts, within the terminal height', async () => {
  const view = mount({ rows: 24 });
  await view.feed(fastStagesRun(1000, { upTo: 600, running: 2 }));
  const lines = view.frame().split('\n');
  assert.ok(lines.length <= 23, `${lines.length} lines`);
  assert.match(lines[1]!, /^1000 stages: 2 running · 478 done · 120 cached · 400 waiting/);
  assert.ok(lines.some((l) => /▶\s+s0598\s+running/.test(l)));
  assert.ok(lines.some((l) => /▶\s+s0599\s+running/.test(l)));
  const hidden = lines.filter((l) => l.includes('⋯'));
  assert.equal(hidden.length, 2);
  const hiddenCount = hidden.reduce((n, l) => n + Number(/⋯ (\d+) more/.exec(l)![1]), 0);
  const stageRows = lines.filter((l) => /^[ ›][·○▶✓✗–] /.test(l)).length;
  assert.equal(hiddenCount + stageRows, 1000, 'every stage is shown or counted');
  assert.match(hidden[0]!, /more: \d+ done, \d+ cached$/);
  assert.match(hidden[1]!, /more: \d+ waiting$/);
  view.unmount();
});

test('walking the selection through a large pipeline scrolls the window with it', async () => {
  const view = mount({ rows: 24 });
  await view.feed(fastStagesRun(1000, { upTo: 60, running: 1 }));
  assert.match(view.frame(), /^›▶\s+s0059/m);
  await view.hold('k', 70);
  assert.match(view.frame(), /^›✓ s0000 /m);
  assert.match(view.frame(), /^ ▶\s+s0059/m, 'the running stage stays in view');
  await view.hold('j', 200);
  assert.match(view.frame(), /^›·\s+s0200 /m);
  assert.match(line(view.frame(), '── '), /── s0200 · cmd · needs s0190/);
  view.unmount();
});
