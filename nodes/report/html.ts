/** report/html: an HTML page of PNG plots for evaluations — learning curves, per-class accuracy, confusion, calibration, confused pairs. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { defineNode } from '../../src/exec/node-contract.js';
import { readDataset } from '../../src/data/dataset.js';
import { checkAligned, readPredictions } from '../../src/artifacts/predictions.js';
import { readMetricsFile, type MetricsFile } from '../../src/eval/metrics-file.js';
import type { Canvas } from '../../src/data/canvas.js';
import { accuracyVsCount, confusedPairsSheet, confusionHeatmap, learningCurves, reliabilityDiagram } from '../../src/report/figures.js';
import { readModelHistory, type ModelHistory } from '../../src/report/history.js';
import { confusedPairs } from '../../src/report/pairs.js';
import { escapeHtml, perClassTable, renderPage, summaryTable, type Figure, type Section } from '../../src/report/page.js';

const params = z.strictObject({
  title: z.string().default('Evaluation report'),
  /** Names of the metrics inputs in order; default: the name eval/classification recorded, else "predictions N". */
  names: z.array(z.string()).default([]),
  /** Rows of the contact sheet (needs `predictions` and `dataset`). */
  confusedPairs: z.number().int().min(1).max(50).default(8),
  /** Drawings shown per confused pair. */
  perPair: z.number().int().min(1).max(20).default(6),
  /** Pixel magnification of the drawings. */
  scale: z.number().int().min(1).max(8).default(2),
});

export default defineNode({
  name: 'report/html',
  version: 1,
  description: 'index.html with PNG plots: learning curves, per-class accuracy vs training count, confusion matrix, reliability diagram, most confused pairs',
  params,
  inputs: {
    metrics: { kind: 'metrics', description: 'eval/classification results, one section each', many: true },
    predictions: { kind: 'predictions', description: 'predictions on `dataset`, for the contact sheet of the most confused pairs', optional: true },
    dataset: { kind: 'dataset', description: 'the images the predictions are of', optional: true },
    models: { kind: 'model', description: 'trained models whose meta.json holds a per-epoch history, for learning curves', optional: true, many: true },
  },
  outputs: { report: { kind: 'report', description: 'index.html and its PNG figures' } },
  resources: { cpu: 1, gpu: 0 },
  async run(ctx) {
    const out = ctx.outputDir('report');
    const { title, names, scale } = ctx.params;
    const save = (file: string, canvas: Canvas, alt: string): Figure => {
      writeFileSync(join(out, file), canvas.png());
      return { file, alt, width: canvas.width, height: canvas.height };
    };
    const evals = ctx.inputs('metrics').map((a, i) => {
      const m: MetricsFile = readMetricsFile(a.path);
      return { label: names[i] || m.name || `predictions ${i + 1}`, m };
    });
    const sections: Section[] = [];

    const models = ctx.inputs('models');
    const histories = models.map((a, i) => readModelHistory(a.path, `model ${i + 1}`)).filter((h): h is ModelHistory => h !== null);
    if (models.length > histories.length) ctx.log(`${models.length - histories.length} model(s) record no training history: no learning curve for them`);
    if (histories.length) {
      sections.push({
        title: 'Learning curves',
        figures: [
          save('curves-loss.png', learningCurves(histories, 'loss'), 'training and validation loss per epoch'),
          save('curves-accuracy.png', learningCurves(histories, 'accuracy'), 'training and validation accuracy per epoch'),
        ],
      });
    }

    evals.forEach(({ label, m }, i) => {
      const k = i + 1;
      const split = m.trainCountsFrom
        ? `head / middle / tail = thirds of the classes by training images (from the ${m.trainCountsFrom})`
        : 'training counts unknown: no head / middle / tail split';
      sections.push({
        title: evals.length > 1 ? label : 'Per-class results',
        html: `<p>${m.labeled} labeled rows of ${m.rows}, ${m.classes.length} classes; ${escapeHtml(split)}.</p>\n${perClassTable(m)}`,
        figures: [
          save(`per-class-${k}.png`, accuracyVsCount(m.perClass, `per-class accuracy: ${label}`), `per-class accuracy against training count, ${label}`),
          save(`confusion-${k}.png`, confusionHeatmap(m.confusion, m.classes, `confusion matrix: ${label}`), `confusion matrix, ${label}`),
          save(`reliability-${k}.png`, reliabilityDiagram(m.reliability, m.ece, `reliability: ${label}`), `reliability diagram, ${label}`),
        ],
      });
    });

    const predsIn = ctx.inputs('predictions')[0];
    const dsIn = ctx.inputs('dataset')[0];
    if (predsIn && dsIn) {
      const p = readPredictions(predsIn.path);
      const ds = readDataset(dsIn.path);
      checkAligned([
        { name: `predictions ${predsIn.path}`, rows: p.rows, classes: p.classes, labels: p.labels },
        { name: `dataset ${dsIn.path}`, rows: ds.count, classes: ds.classes, labels: ds.labels },
      ]);
      // Either side may carry the labels (a dataset of test images with answers, predictions without).
      const labels = p.labels.map((y, r) => (y >= 0 ? y : ds.labels[r]!));
      const pairs = confusedPairs({ ...p, labels }, ctx.params.confusedPairs);
      sections.push({
        title: 'Most confused pairs',
        html: '<p>Each row: drawings of the first class predicted as the second, most confident mistakes first; in brackets the number of such mistakes.</p>\n',
        figures: [save('confused-pairs.png', confusedPairsSheet(ds, p.classes, pairs, ctx.params.perPair, scale), 'drawings of the most confused class pairs')],
      });
    } else if (predsIn || dsIn) {
      ctx.log('the contact sheet of confused pairs needs both `predictions` and `dataset`: left out');
    }

    const intro = `<p>Evaluation of ${evals.length} prediction set(s).</p>\n${summaryTable(evals)}`;
    writeFileSync(join(out, 'index.html'), renderPage(title, intro, sections));
    ctx.metrics({ figures: sections.reduce((s, x) => s + x.figures.length, 0) });
  },
});
