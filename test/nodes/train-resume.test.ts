/**
 * train/classifier resumes from the checkpoints in its resume directory: a run aborted after its
 * first epoch, rerun with the same resume directory, continues at epoch 2 and ends with exactly the
 * weights of an uninterrupted run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import train from '../../nodes/train/classifier.js';
import { runNode, scratchDir, smallLongTailed, tinyCnn } from './train-helpers.js';

const params = {
  model: tinyCnn,
  epochs: 2,
  batchSize: 64,
  seed: 5,
  optimizer: { kind: 'adam', lr: 0.004 },
  augment: { rotation: 8, horizontalFlip: true },
  backend: 'wasm',
};

test('an aborted training resumes from its last epoch checkpoint and ends where an uninterrupted run ends', async () => {
  const { train: trainSet } = await smallLongTailed();
  const whole = await runNode(train, params, { train: [trainSet] }, { tag: 'whole' });

  const resumeDir = join(scratchDir('resume'), 'r');
  const abort = new AbortController();
  await assert.rejects(
    runNode(train, params, { train: [trainSet] }, {
      tag: 'aborted',
      resumeDir,
      signal: abort.signal,
      onEvent: (e) => {
        if (e.type === 'metrics' && e.values.epoch === 1) abort.abort();
      },
    }),
    (e: Error) => e.name === 'AbortError',
  );
  const resumed = await runNode(train, params, { train: [trainSet] }, { tag: 'resumed', resumeDir });
  assert.equal(resumed.metrics.resumed_from_epoch, 1);
  assert.equal(resumed.metrics.epochs_run, 2);
  const weights = (r: typeof whole) => readFileSync(join(r.outputs.model!, 'weights.bin'));
  assert.ok(weights(resumed).equals(weights(whole)), 'resumed weights differ from the uninterrupted run');
  const meta = (r: typeof whole) => readFileSync(join(r.outputs.model!, 'meta.json'), 'utf8');
  assert.equal(meta(resumed), meta(whole), 'meta.json (history included) is the same bytes: the model artifact hashes the same');
});
