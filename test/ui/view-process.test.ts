/**
 * The Ink view in its own process (InkProcessReporter): what `dag run` sees of it when there is
 * nothing to draw, when the view process breaks, and the bundle it loads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLE_FILE, MANIFEST_FILE, freshBundle } from '../../src/ui/bundle-freshness.js';
import { createReporter } from '../../src/ui/create-reporter.js';
import { InkProcessReporter } from '../../src/ui/ink-process-reporter.js';
import { FakeTty, loadFixture, silentStdin } from './streams.js';

const ANSI = /\u001B\[[0-9;?]*[A-Za-z]/g;

test('a run that sends the view no event (a dry run, a planning error) leaves the terminal untouched', async () => {
  const out = new FakeTty(100, 30);
  const reporter = await createReporter({ mode: 'ink', out: out.asWriteStream(), stdin: silentStdin() });
  await reporter.close();
  assert.equal(out.text, '');
  assert.equal((reporter as InkProcessReporter).stats?.frames, 0, 'the view closed cleanly without drawing');
});

/** Ink writes only the last frame under CI; the view process inherits the environment it forks with. */
function withoutCi<T>(start: () => T): T {
  const saved = { ...process.env };
  for (const key of Object.keys(process.env)) if (key === 'CI' || key === 'CONTINUOUS_INTEGRATION' || key.startsWith('CI_')) delete process.env[key];
  try {
    return start();
  } finally {
    Object.assign(process.env, saved);
  }
}

test('the view process draws frames and the summary, and reports how many frames it drew', async () => {
  const out = new FakeTty(100, 30);
  const reporter = withoutCi(() => new InkProcessReporter({ out: out.asWriteStream(), stdin: silentStdin() }));
  const events = loadFixture('train-with-cache');
  for (const e of events.slice(0, -1)) reporter.onEvent(e);
  // Give the view time to load and draw the run in progress before it ends.
  for (let waited = 0; !out.text.includes('dag run') && waited < 20_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
  reporter.onEvent(events.at(-1)!);
  await reporter.close();
  const screen = out.text.replace(ANSI, '');
  assert.match(screen, /dag run pipelines\/\S+/, 'a live frame');
  assert.match(screen, /^run succeeded in /m, 'the summary');
  assert.ok(reporter.stats && reporter.stats.frames >= 2, `frames: ${reporter.stats?.frames}`);
});

test('if the view process dies, the plain log takes over and the run is still summarised', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dag-ui-view-'));
  try {
    const broken = join(dir, 'broken-view.mjs');
    writeFileSync(broken, "throw new Error('cannot load the view');\n");
    const out = new FakeTty(100, 30);
    const reporter = new InkProcessReporter({ out: out.asWriteStream(), stdin: silentStdin(), viewEntry: broken });
    const events = loadFixture('failing-stage');
    reporter.onEvent(events[0]!);
    // Wait for the view process to fail, then the rest of the run arrives.
    for (let waited = 0; !out.text.includes('live view stopped') && waited < 20_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    for (const e of events.slice(1)) reporter.onEvent(e);
    await reporter.close();
    assert.match(out.text, /dag: the live view stopped \(its process exited with code 1\); the plain log follows/);
    assert.match(out.text, /^dag run \S+: pipelines\/\S+, 5 stages/m, 'the plan, replayed to the plain log');
    assert.match(out.text, /FAILED\s+train@1/);
    assert.match(out.text, /^run failed in 3\.4s: 1 ran, 1 cached \(saved 8\.4s\), 1 failed, 2 skipped$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the view loads its bundle only while no file in it changed since it was built', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dag-ui-bundle-'));
  try {
    assert.equal(freshBundle(dir), undefined, 'no bundle built');
    writeFileSync(join(dir, 'view.js'), 'export {};\n');
    writeFileSync(join(dir, BUNDLE_FILE), 'export {};\n');
    const built = new Date('2026-01-01T00:00:00Z');
    utimesSync(join(dir, 'view.js'), built, built);
    writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify({ inputs: [{ path: 'view.js', mtimeMs: built.getTime() }] }));
    assert.equal(freshBundle(dir), join(dir, BUNDLE_FILE));
    // Recompiled by a plain `tsc` after the bundle was made: the bundle is stale.
    writeFileSync(join(dir, 'view.js'), 'export const changed = 1;\n');
    assert.equal(freshBundle(dir), undefined);
    rmSync(join(dir, 'view.js'));
    assert.equal(freshBundle(dir), undefined, 'a file of the bundle is gone');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
