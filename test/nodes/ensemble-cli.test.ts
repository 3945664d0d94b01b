// The ensemble and calibration nodes as a user runs them: found by name in a pipeline, cached, and
// rerun alone when only an ensemble param changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { dag, lastRunOutcomes, makeProject, writeProjectFiles } from '../helpers/cli.js';
import { readPredictions } from '../../src/artifacts/predictions.js';
import { lt100Classes, pixelMembers } from './ensemble-fixtures.js';

const pipeline = (mode: string) => `stages:
  vote:
    node: ensemble/vote
    params: {mode: ${mode}}
    inputs: {predictions: [file:test/full, file:test/left, file:test/top]}
  weighted:
    node: ensemble/weighted
    inputs:
      val: [file:val/full, file:val/left, file:val/top]
      test: [file:test/full, file:test/left, file:test/top]
  balanced:
    node: calibrate/balance
    inputs: {predictions: weighted.predictions}
`;

test('vote, weighted and calibrate/balance in a pipeline; changing the vote mode reruns only the vote', () => {
  const dir = makeProject({ 'p.yaml': pipeline('hard') });
  const members = pixelMembers(lt100Classes.slice(0, 6));
  ['full', 'left', 'top'].forEach((name, i) => {
    cpSync(members[i]!.val.path, join(dir, 'val', name), { recursive: true });
    cpSync(members[i]!.test.path, join(dir, 'test', name), { recursive: true });
  });
  const first = dag(dir, ['run', 'p.yaml', '--plain']);
  assert.equal(first.code, 0, first.stderr);
  assert.deepEqual(lastRunOutcomes(dir), { vote: 'ran', weighted: 'ran', balanced: 'ran' });
  assert.equal(dag(dir, ['get', 'p.yaml', 'balanced.predictions', 'out']).code, 0);
  const balanced = readPredictions(join(dir, 'out'));
  const sums = new Array<number>(6).fill(0);
  balanced.probs.forEach((p, i) => (sums[i % 6]! += p));
  for (const s of sums) assert.ok(Math.abs(s - balanced.rows / 6) < 1e-3 * (balanced.rows / 6) + 1e-2, `${sums}`);
  assert.equal((balanced.meta.calibration as { assign: string }).assign, 'sinkhorn');

  writeProjectFiles(dir, { 'p.yaml': pipeline('soft') });
  assert.equal(dag(dir, ['run', 'p.yaml', '--plain']).code, 0);
  assert.deepEqual(lastRunOutcomes(dir), { vote: 'ran', weighted: 'cached', balanced: 'cached' });

  writeProjectFiles(dir, { 'p.yaml': pipeline('median') });
  const bad = dag(dir, ['run', 'p.yaml', '--plain']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /p\.yaml:4:\d+.*mode/);
  assert.doesNotMatch(bad.stderr, /\n\s+at /);
});
