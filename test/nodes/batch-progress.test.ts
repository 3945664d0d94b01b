// Training progress as the reporters see it: the loop counts batches over the whole run, the events
// count them within the epoch their label names, so the run's fraction rises evenly to 1.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchProgress } from '../../src/nodes-support/train/batch-progress.js';
import { progressFraction } from '../../src/ui/progress.js';

test('progress events count batches within the epoch; the folded fraction rises evenly to 1', () => {
  // 3 epochs of 300 rows in batches of 128: 3 batches per epoch, the last one short.
  const progress = new BatchProgress(128, 300);
  const events = [];
  for (let epoch = 0; epoch < 3; epoch++) {
    for (let b = 0; b < 3; b++) {
      const step = epoch * 3 + b + 1;
      events.push(progress.update({ step, total: 9, unit: 'batch', label: `epoch ${epoch + 1}/3`, metrics: { loss: 1, accuracy: 0.5, lr: 0.1 } }));
    }
    progress.endEpoch();
  }
  assert.deepEqual(events.map((e) => `${e.step}/${e.total}`), ['1/3', '2/3', '3/3', '1/3', '2/3', '3/3', '1/3', '2/3', '3/3']);
  const fractions = events.map(progressFraction);
  fractions.forEach((f, i) => assert.ok(Math.abs(f - (i + 1) / 9) < 1e-9, `event ${i + 1}: ${f}`));
  assert.deepEqual(Object.keys(events[0]!.metrics!).sort(), ['acc', 'images_per_s', 'loss', 'lr']);
});
