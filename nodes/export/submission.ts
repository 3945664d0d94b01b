/**
 * export/submission: predictions on the test set → `submission.csv` in the competition's format
 * (`id,label`; id = row index of the test image, label = predicted class name). docs/pipelines.md.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { defineNode } from '../../src/exec/node-contract.js';
import { readPredictions } from '../../src/artifacts/predictions.js';
import { submissionCsv } from '../../src/nodes-support/train/submission.js';

const params = z.strictObject({
  idColumn: z.string().min(1).default('id'),
  labelColumn: z.string().min(1).default('label'),
  /** Names per row, best first, separated by spaces (1 = the competition's single label). */
  topK: z.int().positive().default(1),
  /** Added to the row index (e.g. 1 for 1-based ids). */
  idOffset: z.int().default(0),
});

export default defineNode({
  name: 'export/submission',
  version: 1,
  description: 'Predictions → submission.csv in the competition format (id = test row index, label = class name)',
  params,
  inputs: { predictions: { kind: 'predictions', description: 'predictions on the test set, rows in test-set order' } },
  outputs: { submission: { kind: 'file', description: 'a directory holding submission.csv' } },
  resources: { cpu: 1, gpu: 0 },
  async run(ctx) {
    const preds = readPredictions(ctx.input('predictions').path);
    const csv = submissionCsv(preds, ctx.params);
    writeFileSync(join(ctx.outputDir('submission'), 'submission.csv'), csv);
    ctx.metrics({ rows: preds.rows });
  },
});
