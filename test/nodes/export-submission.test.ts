/** export/submission writes the competition's CSV: header id,label, one row per test image in order. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import exportSubmission from '../../nodes/export/submission.js';
import { writePredictions } from '../../src/artifacts/predictions.js';
import { artifact, runNode, scratchDir } from './train-helpers.js';

function predictionsDir(): string {
  const dir = scratchDir('preds');
  const classes = ['The Eiffel Tower', 'apple', 'fish, "big"'];
  // Row 0 → apple, row 1 → the Eiffel Tower, row 2 → the class whose name needs CSV quoting; row 3 ties.
  const probs = Float32Array.from([0.1, 0.7, 0.2, 0.6, 0.3, 0.1, 0.2, 0.1, 0.7, 0.4, 0.4, 0.2]);
  writePredictions(dir, { probs, rows: 4, numClasses: 3, labels: new Int32Array(4).fill(-1), classes, meta: {} });
  return dir;
}

test('one line per test row: id = row index, label = the most probable class name, quoted when needed', async () => {
  const r = await runNode(exportSubmission, {}, { predictions: [artifact(predictionsDir(), 'vote', 'predictions')] }, { tag: 'csv' });
  const csv = readFileSync(join(r.outputs.submission!, 'submission.csv'), 'utf8');
  assert.equal(csv, 'id,label\n0,apple\n1,The Eiffel Tower\n2,"fish, ""big"""\n3,The Eiffel Tower\n');
});

test('topK lists the best names first, separated by spaces; idOffset shifts the ids', async () => {
  const r = await runNode(exportSubmission, { topK: 2, idOffset: 1, labelColumn: 'word' }, { predictions: [artifact(predictionsDir(), 'vote', 'predictions')] }, { tag: 'csv-top2' });
  const lines = readFileSync(join(r.outputs.submission!, 'submission.csv'), 'utf8').trim().split('\n');
  assert.deepEqual(lines.slice(0, 3), ['id,word', '1,"apple fish, ""big"""', '2,The Eiffel Tower apple']);
});
