import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseMode, createReporter } from '../../src/ui/create-reporter.js';
import { FakeTty, loadFixture, silentStdin } from './streams.js';

const ANSI = /\u001B\[[0-9;?]*[A-Za-z]/g;

test('the mode follows the flags, then the terminal and CI', () => {
  assert.equal(chooseMode({ json: true, plain: true, isTTY: true, ci: false }), 'json');
  assert.equal(chooseMode({ plain: true, isTTY: true, ci: false }), 'plain');
  assert.equal(chooseMode({ isTTY: false, ci: false }), 'plain');
  assert.equal(chooseMode({ isTTY: true, ci: true }), 'plain');
  assert.equal(chooseMode({ isTTY: true, ci: false }), 'ink');
});

test('the Ink reporter draws into a terminal stream and leaves the summary on screen at close', async () => {
  const out = new FakeTty(100, 30);
  const reporter = await createReporter({ mode: 'ink', out: out.asWriteStream(), stdin: silentStdin() });
  for (const e of loadFixture('failing-stage')) reporter.onEvent(e);
  await reporter.close();
  const screen = out.text.replace(ANSI, '');
  assert.match(screen, /run failed in 3\.4s: 1 ran, 1 cached \(saved 8\.4s\), 1 failed, 2 skipped/);
  assert.match(screen, /failed: train@1 after 2\.3s/);
  // Events arrived in one synchronous burst: the view drew a first frame and the final one, not one per event.
  const frames = screen.split('dag run').length - 1;
  assert.ok(frames >= 1 && frames <= 3, `${frames} frames`);
});

test('plain and json modes write to the given stream', async () => {
  for (const mode of ['plain', 'json'] as const) {
    const out = new FakeTty();
    const reporter = await createReporter({ mode, out: out.asWriteStream() });
    for (const e of loadFixture('cancelled')) reporter.onEvent(e);
    await reporter.close();
    const text = out.text;
    if (mode === 'json') assert.equal(JSON.parse(text.trim().split('\n').at(-1)!).status, 'cancelled');
    else assert.match(text, /^run cancelled in/m);
  }
});
