/**
 * End to end in a real pseudo-terminal: `dag run` on a small pipeline inside tmux, asserting on
 * the captured screen. Covers the live view (a training-like stage with epochs, batches and a
 * loss sparkline; a failing stage; a skipped one), the end summary, and Ctrl-C: graceful first,
 * forced the second time, handled by the view because the terminal is in raw mode.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './streams.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const socket = `dag-ui-e2e-${process.pid}`;

const TRAIN_SCRIPT = `
const epochs = 3, batches = 20;
let loss = 2.3;
for (let e = 1; e <= epochs; e++) {
  for (let b = 1; b <= batches; b++) {
    await new Promise((r) => setTimeout(r, 40));
    loss *= 0.97;
    const metrics = { loss, accuracy: 1 - loss / 2.5, lr: 0.001 / e, images_per_s: 2000 + b };
    console.log('##dag progress ' + JSON.stringify({ step: b, total: batches, unit: 'batch', label: 'epoch ' + e + '/' + epochs, metrics }));
  }
  console.log('##dag metrics ' + JSON.stringify({ epoch: e, loss }));
  console.log('epoch ' + e + ' done');
}
(await import('node:fs')).writeFileSync('model.txt', 'weights');
`;

const PIPELINE = `
stages:
  prepare:
    cmd: "sleep 0.3; echo ok > clean.txt"
    outs: [clean.txt]
  train:
    cmd: [node, train.mjs]
    deps: [train.mjs, clean.txt]
    outs: [model.txt]
  broken:
    cmd: "echo 'Error: shard 3 is truncated (expected 4096 bytes, got 17)' >&2; exit 3"
    deps: [clean.txt]
    outs: [broken.txt]
  report:
    cmd: "cat broken.txt > report.txt"
    deps: [broken.txt]
    outs: [report.txt]
  eval:
    cmd: "echo '##dag metrics {\\"accuracy\\":0.71,\\"balanced_accuracy\\":0.64}'; cat model.txt > eval.txt"
    deps: [model.txt]
    outs: [eval.txt]
`;

/** A stage that ignores the graceful stop, so only the second Ctrl-C ends it. */
const STUBBORN_PIPELINE = `
stages:
  stubborn:
    cmd: "trap '' TERM INT; i=0; while [ $i -lt 600 ]; do i=$((i+1)); echo \\"##dag progress {\\\\\\"step\\\\\\":$i,\\\\\\"total\\\\\\":600}\\"; sleep 0.1; done; echo done > out.txt"
    outs: [out.txt]
  after:
    cmd: "cat out.txt > after.txt"
    deps: [out.txt]
    outs: [after.txt]
`;

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
}

function screen(session: string): string {
  return tmux('capture-pane', '-p', '-t', session);
}

async function waitForScreen(session: string, pattern: RegExp, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = screen(session);
    if (pattern.test(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`screen never showed ${pattern}; last screen:\n${last}`);
}

/** Starts `dag run` in a 110x30 tmux window; CI is unset there, since Ink draws nothing under CI. */
function startRun(dir: string, session: string, extraArgs: string): void {
  const dag = join(repoRoot, 'bin', 'dag.js');
  const command = `cd ${dir} && env -u CI -u CONTINUOUS_INTEGRATION ${process.execPath} ${dag} run pipeline.yaml --cache ${join(dir, '.cache')} ${extraArgs}; echo EXIT=$?; sleep 600`;
  tmux('new-session', '-d', '-s', session, '-x', '110', '-y', '30', command);
}

function workspace(pipeline: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'dag-ui-e2e-'));
  writeFileSync(join(dir, 'pipeline.yaml'), pipeline);
  writeFileSync(join(dir, 'train.mjs'), TRAIN_SCRIPT);
  return dir;
}

test('the live view in a terminal: progress, a failing stage, then the summary', { skip: !hasTmux && 'tmux not installed' }, async () => {
  const dir = workspace(PIPELINE);
  try {
    startRun(dir, 'live', '--keep-going');
    const live = await waitForScreen('live', /▶\s+train\s+running\s+[█░]{10}\s+\d+%\s+epoch [23]\/3 · batch \d+\/20/);
    assert.match(live, /^dag run pipeline\.yaml \S+\s+\d+\.\ds elapsed · ETA/m);
    assert.match(live, /✗\s+broken\s+failed\s+\d\.\ds\s+command exited with code 3/);
    assert.match(live, /–\s+report\s+skipped needs broken, which failed/);
    assert.match(live, /loss \d\.\d+ [▁▂▃▄▅▆▇█]+/);
    assert.match(live, /── train · cmd · needs prepare/);
    assert.match(live, /q stop \(twice: kill\)/);

    const end = await waitForScreen('live', /EXIT=\d+/);
    assert.match(end, /^run failed in \d+\.\ds: 3 ran, 0 cached, 1 failed, 1 skipped$/m);
    assert.match(end, /^ran: prepare \d+\.\ds, train \d+\.\ds, eval \d+\.\ds$/m);
    assert.match(end, /^failed: broken after \d+\.\ds\n  command exited with code 3\n  Error: shard 3 is truncated/m);
    assert.match(end, /^eval: balanced_accuracy 0\.64$/m);
    assert.match(end, /^EXIT=1$/m);
    // The live list is gone: the summary replaced it rather than piling up below old frames.
    assert.doesNotMatch(end, /running/);
  } finally {
    spawnSync('tmux', ['-L', socket, 'kill-session', '-t', 'live']);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Ctrl-C in the live view stops gracefully, a second Ctrl-C kills', { skip: !hasTmux && 'tmux not installed' }, async () => {
  const dir = workspace(STUBBORN_PIPELINE);
  try {
    startRun(dir, 'stop', '');
    await waitForScreen('stop', /▶\s+stubborn\s+running\s+[█░]{10}\s+\d+%\s+step \d+\/600/);
    tmux('send-keys', '-t', 'stop', 'C-c');
    const stopping = await waitForScreen('stop', /stopping: no new stages, waiting for running ones · q or Ctrl-C again to kill/);
    assert.match(stopping, /▶\s+stubborn\s+running/, 'the stage ignores the graceful stop and keeps running');
    tmux('send-keys', '-t', 'stop', 'C-c');
    const end = await waitForScreen('stop', /EXIT=\d+/, 30_000);
    assert.match(end, /^run cancelled in \d+\.\ds: 0 ran, 0 cached, 1 failed, 1 skipped$/m);
    assert.match(end, /^failed: stubborn after \d+\.\ds\n  stopped by the user$/m);
    assert.match(end, /^EXIT=130$/m);
  } finally {
    spawnSync('tmux', ['-L', socket, 'kill-server']);
    rmSync(dir, { recursive: true, force: true });
  }
});
