/**
 * semi/pseudo-label: turns one or more teachers' predictions on unlabeled images into pseudo-labelled
 * training rows for a student — by confidence threshold or class-balanced top-k, optionally after
 * correcting the teachers to the test set's known class prior. Outputs the selected images as a
 * dataset (labels = pseudo-labels) and their targets as predictions aligned with those rows, which
 * is what train/classifier takes as `extra` + `extra_targets`. docs/semi.md describes it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { defineNode, NodeUserError } from '../../src/exec/node-contract.js';

const params = z
  .strictObject({
    /** threshold: every row whose top probability ≥ threshold; balanced-topk: the k most confident rows of each predicted class. */
    mode: z.enum(['threshold', 'balanced-topk']).default('threshold'),
    /** Minimum top probability of a selected row, in both modes (the winning recipe used 0.4). */
    threshold: z.number().min(0).max(1).default(0.4),
    /** balanced-topk: rows per class at most. */
    k: z.int().positive().optional(),
    /** Rescale the pooled teachers to the known test prior (Sinkhorn) before selecting. */
    priorCorrection: z.boolean().default(false),
    /** The test set's known class distribution: uniform, or one non-negative weight per class. */
    targetPrior: z.union([z.literal('uniform'), z.array(z.number().nonnegative())]).default('uniform'),
    /** Keep the (corrected) probability vectors as targets; false: one-hot pseudo-labels. */
    soft: z.boolean().default(true),
    /** How several teachers pool: mean of probabilities, or softmax of the mean logits. */
    space: z.enum(['probs', 'logits']).default('probs'),
  })
  .refine((p) => p.mode !== 'balanced-topk' || p.k !== undefined, { message: 'mode balanced-topk needs k (rows per class)', path: ['k'] });

export type PseudoLabelParams = z.output<typeof params>;

export default defineNode({
  name: 'semi/pseudo-label',
  version: 1,
  description: 'Pseudo-labels unlabeled images from teachers\' predictions: confidence threshold or class-balanced top-k, optional correction to the known test prior',
  params,
  inputs: {
    predictions: { kind: 'predictions', many: true, description: 'each teacher\'s predictions on the unlabeled images (same rows as dataset)' },
    dataset: { kind: 'dataset', description: 'the unlabeled images the teachers predicted' },
  },
  outputs: {
    dataset: { kind: 'dataset', description: 'the selected images, labels = pseudo-labels; indices.npy = their rows in the input' },
    predictions: { kind: 'predictions', description: 'targets of the selected rows (soft probabilities or one-hot), aligned with dataset' },
  },
  resources: { cpu: 1, gpu: 0 },
  async run(ctx) {
    const p = ctx.params;
    const { readDataset, writeDataset } = await import('../../src/data/dataset.js');
    const { writePredictions } = await import('../../src/artifacts/predictions.js');
    const { readMembers } = await import('../../src/ensemble/members.js');
    const { normalizeWeights, pool } = await import('../../src/ensemble/combine.js');
    const { logProbs, balancedAccuracy, round } = await import('../../src/ensemble/probability.js');
    const { priorFromCounts } = await import('../../src/calibrate/prior.js');
    const { sameClasses } = await import('../../src/nodes-support/train/training-set.js');
    const { selectPseudoLabels, gatherRows, oneHot } = await import('../../src/semi/select.js');
    const { correctToPrior } = await import('../../src/semi/prior-correction.js');
    const { readNpy, writeNpy } = await import('../../src/data/npy.js');

    const dsIn = ctx.input('dataset');
    const ds = readDataset(dsIn.path);
    const dsName = `dataset (${dsIn.producer}.${dsIn.output})`;
    const members = readMembers(ctx.inputs('predictions'), 'predictions');
    const first = members[0]!;
    const C = ds.classes.length;
    sameClasses(ds.classes, dsName, first.predictions.classes, `predictions ${first.name}`);
    if (first.predictions.rows !== ds.count) {
      throw new NodeUserError(`predictions ${first.name} have ${first.predictions.rows} rows but ${dsName} has ${ds.count}: the teachers must predict that dataset`);
    }
    if (p.targetPrior !== 'uniform' && p.targetPrior.length !== C) throw new NodeUserError(`targetPrior has ${p.targetPrior.length} weights for ${C} classes`);
    const pooled = pool(members.map((m) => m.predictions), normalizeWeights(undefined, members.length), p.space);

    let probs = pooled.probs;
    const meta: Record<string, unknown> = { teachers: members.map((m) => m.name), space: p.space, mode: p.mode, threshold: p.threshold, k: p.k ?? null, soft: p.soft };
    if (p.priorCorrection) {
      const prior = priorFromCounts(p.targetPrior === 'uniform' ? new Array<number>(C).fill(1) : p.targetPrior, ds.classes, 0, 'targetPrior');
      const corrected = correctToPrior(pooled.logits ?? logProbs(pooled.probs), ds.count, prior);
      if (!corrected.converged) ctx.log(`prior correction stopped after ${corrected.iterations} iterations, column-sum deviation ${corrected.maxDeviation.toExponential(2)}`);
      probs = corrected.probs;
      meta.priorCorrection = { targetPrior: prior.map((x) => round(x, 8)), iterations: corrected.iterations, converged: corrected.converged, classOffsets: corrected.logScale.map((x) => round(x)) };
    }

    const sel = selectPseudoLabels(probs, ds.count, C, { mode: p.mode, threshold: p.threshold, ...(p.k !== undefined ? { k: p.k } : {}) });
    const px = ds.height * ds.width;
    const outDs = ctx.outputDir('dataset');
    writeDataset(outDs, {
      images: gatherRows(ds.images, px, sel.rows),
      count: sel.rows.length,
      height: ds.height,
      width: ds.width,
      labels: sel.labels,
      classes: ds.classes,
      meta: { source: String(ds.meta.source ?? dsIn.producer), split: 'pseudo-labelled', from: ds.meta.split ?? null, labels: 'pseudo', ...meta },
    });
    writeNpy(join(outDs, 'indices.npy'), { dtype: 'int32', shape: [sel.rows.length], data: sel.rows });
    const sourceRows = join(dsIn.path, 'rows.npy');
    if (existsSync(sourceRows)) {
      const all = readNpy(sourceRows).data as Int32Array;
      writeNpy(join(outDs, 'rows.npy'), { dtype: 'int32', shape: [sel.rows.length], data: Int32Array.from(sel.rows, (r) => all[r]!) });
    }
    writePredictions(ctx.outputDir('predictions'), {
      probs: p.soft ? gatherRows(probs, C, sel.rows) : oneHot(sel.labels, C),
      rows: sel.rows.length,
      numClasses: C,
      // The true labels stay unknown here: these rows are targets, never a score.
      labels: new Int32Array(sel.rows.length).fill(-1),
      classes: ds.classes,
      meta: { split: 'pseudo-labelled', perClass: Object.fromEntries(ds.classes.map((c, i) => [c, sel.perClass[i]!])), ...meta },
    });

    // Reported only: the true test labels never influence which rows are chosen.
    const truth = Int32Array.from(sel.rows, (r) => ds.labels[r]!);
    const known = truth.filter((l) => l >= 0).length;
    let right = 0;
    truth.forEach((l, i) => {
      if (l >= 0 && l === sel.labels[i]) right++;
    });
    ctx.metrics({
      selected: sel.rows.length,
      offered: ds.count,
      per_class_min: Math.min(...sel.perClass),
      per_class_max: Math.max(...sel.perClass),
      classes_without_rows: sel.perClass.filter((n) => n === 0).length,
      mean_confidence: sel.rows.length ? round(sel.confidence.reduce((a, b) => a + b, 0) / sel.rows.length) : null,
      ...(known > 0
        ? { pseudo_accuracy: round(right / known), pseudo_balanced_accuracy: round(balancedAccuracy(oneHot(sel.labels, C), truth, C)!) }
        : {}),
    });
    ctx.log(`${sel.rows.length}/${ds.count} rows pseudo-labelled; per class ${Math.min(...sel.perClass)}–${Math.max(...sel.perClass)}`);
  },
});
