// eval/classification → report/html wired in a pipeline and run by the real binary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dag, lastRunOutcomes, makeProject } from '../helpers/cli.js';
import { nearestClassMean } from './eval-fixtures.js';

test('a pipeline evaluates predictions and reports them; a report param change reuses the cached eval', () => {
  const pipeline = (title: string) => [
    'stages:',
    '  eval:',
    '    node: eval/classification',
    '    inputs: {predictions: file:fx/preds, train: file:fx/train}',
    '  report:',
    '    node: report/html',
    `    params: {title: ${title}, perPair: 3}`,
    '    inputs: {metrics: eval.metrics, predictions: file:fx/preds, dataset: file:fx/test}',
  ].join('\n') + '\n';
  const dir = makeProject({ 'p.yaml': pipeline('first') });
  nearestClassMean(join(dir, 'fx'), [60, 30, 10], 20);
  let r = dag(dir, ['run', 'p.yaml', '--plain']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(dag(dir, ['get', 'p.yaml', 'report.report', 'out']).code, 0);
  const html = readFileSync(join(dir, 'out', 'index.html'), 'utf8');
  assert.match(html, /<h1>first<\/h1>/);
  for (const m of html.matchAll(/<img src="([^"]+)"/g)) assert.ok(existsSync(join(dir, 'out', m[1]!)), m[1]);
  assert.ok(html.includes('confused-pairs.png') || html.includes('no mistakes'));

  writeFileSync(join(dir, 'p.yaml'), pipeline('second'));
  r = dag(dir, ['run', 'p.yaml', '--plain']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lastRunOutcomes(dir), { eval: 'cached', report: 'ran' });
});
