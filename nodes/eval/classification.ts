/** eval/classification: accuracy, balanced accuracy, macro-F1, head/middle/tail accuracy, ECE and the confusion matrix of predictions. */
import { join } from 'node:path';
import { z } from 'zod';
import { defineNode, NodeUserError } from '../../src/exec/node-contract.js';
import { readPredictions } from '../../src/artifacts/predictions.js';
import { classificationMetrics } from '../../src/eval/classification.js';
import { writeMetricsFile } from '../../src/eval/metrics-file.js';
import { countsFromDataset, countsFromMeta } from '../../src/eval/train-counts.js';

const params = z.strictObject({
  /** What reports call these predictions; default: the producer's meta `name`, else empty. */
  name: z.string().default(''),
});

export default defineNode({
  name: 'eval/classification',
  version: 1,
  description: 'accuracy, balanced accuracy, macro-F1, head/middle/tail accuracy by training count, per-class accuracy, confusion matrix, ECE (15 bins)',
  params,
  inputs: {
    predictions: { kind: 'predictions', description: 'probabilities with true labels (rows labeled −1 are skipped)' },
    train: { kind: 'dataset', description: 'training set, for the per-class training counts of the head/middle/tail thirds', optional: true },
  },
  outputs: { metrics: { kind: 'metrics', description: 'metrics.json: every metric, per-class table, confusion matrix, reliability bins' } },
  resources: { cpu: 1, gpu: 0 },
  async run(ctx) {
    const predDir = ctx.input('predictions').path;
    const p = readPredictions(predDir);
    const train = ctx.inputs('train')[0];
    const fromMeta = train ? undefined : countsFromMeta(p.meta, p.classes, join(predDir, 'meta.json'));
    const trainCounts = train ? countsFromDataset(train.path, p.classes) : fromMeta;
    if (!trainCounts) ctx.log('no train dataset and no trainCountsPerClass in the predictions meta: head/middle/tail accuracy left out');
    const labelsFile = join(predDir, 'labels.npy');
    const bad = p.labels.findIndex((y) => y < -1 || y >= p.numClasses);
    if (bad >= 0) throw new NodeUserError(`${labelsFile}: label ${p.labels[bad]} at row ${bad} is outside −1..${p.numClasses - 1}`);
    const nan = p.probs.findIndex((v) => !Number.isFinite(v));
    if (nan >= 0) throw new NodeUserError(`${join(predDir, 'probs.npy')}: non-finite probability at row ${Math.floor(nan / p.numClasses)}, class ${p.classes[nan % p.numClasses]}`);
    if (!p.labels.some((y) => y >= 0)) throw new NodeUserError(`${labelsFile}: no labeled rows (every label is −1), nothing to evaluate`);
    const m = classificationMetrics(p, trainCounts);
    const name = ctx.params.name || (typeof p.meta.name === 'string' ? p.meta.name : '');
    writeMetricsFile(ctx.outputDir('metrics'), {
      kind: 'metrics', task: 'classification', name,
      trainCountsFrom: train ? 'train dataset' : fromMeta ? 'predictions meta' : null,
      ...m,
    });
    const headline: Record<string, number> = { accuracy: m.accuracy, balanced_accuracy: m.balanced_accuracy, macro_f1: m.macro_f1 };
    for (const k of ['head_acc', 'middle_acc', 'tail_acc'] as const) if (m[k] !== null) headline[k] = m[k];
    headline.ece = m.ece;
    ctx.metrics(headline);
    ctx.log(`${m.labeled} labeled rows of ${m.rows}: accuracy ${m.accuracy.toFixed(4)}, balanced ${m.balanced_accuracy.toFixed(4)}`);
  },
});
