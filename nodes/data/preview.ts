/** data/preview: PNG figures of a dataset for reports and eyes: samples per class and counts per class. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { defineNode } from '../../src/exec/node-contract.js';
import { readDataset } from '../../src/data/dataset.js';
import { contactSheet, countsChart } from '../../src/data/preview.js';
import { rowsByClass } from '../../src/data/balance.js';

const params = z.object({
  perClass: z.number().int().min(1).max(64).default(10),
  scale: z.number().int().min(1).max(8).default(2),
  /** Which samples: a seeded random pick; −1 = the first rows of each class. */
  seed: z.number().int().min(-1).default(0),
});

const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export default defineNode({
  name: 'data/preview',
  version: 1,
  description: 'PNG contact sheet (a row of samples per class) and PNG bar chart of counts per class',
  params,
  inputs: { dataset: { kind: 'dataset', description: 'dataset to show' } },
  outputs: { report: { kind: 'report', description: 'index.html, samples.png, counts.png' } },
  resources: { cpu: 1, gpu: 0 },
  async run(ctx) {
    const ds = readDataset(ctx.input('dataset').path);
    const out = ctx.outputDir('report');
    const counts = rowsByClass(ds.labels, ds.classes.length).map((r) => r.length);
    const name = `${ds.meta.split ?? 'dataset'}`;
    writeFileSync(join(out, 'samples.png'), contactSheet(ds, ctx.params).png());
    writeFileSync(join(out, 'counts.png'), countsChart(ds.classes, counts, `${name}: ${ds.count} images, ${ds.classes.length} classes`).png());
    const title = escapeHtml(`${name} (${ds.meta.source ?? ''})`);
    writeFileSync(
      join(out, 'index.html'),
      `<!doctype html><meta charset="utf-8"><title>${title}</title>\n<h1>${title}</h1>\n` +
        `<p>${ds.count} images of ${ds.width}×${ds.height} px in ${ds.classes.length} classes. Drawings: Google Quick, Draw! (CC BY 4.0).</p>\n` +
        `<h2>Counts per class</h2><img src="counts.png" alt="counts per class">\n<h2>Samples</h2><img src="samples.png" alt="samples per class">\n`,
    );
    ctx.metrics({ images: ds.count, classes: ds.classes.length });
  },
});
