/**
 * ensemble/average: soft ensemble, the (optionally weighted) mean of the members' probabilities or,
 * with `space: logits`, of their logits (log-probabilities for members without logits).
 */
import { z } from 'zod';
import { defineNode } from '../../src/exec/node-contract.js';
import { writePredictions } from '../../src/artifacts/predictions.js';
import { ensemblePredictions, membersInput, mergedLabels, readMembers } from '../../src/ensemble/members.js';
import { normalizeWeights, pool } from '../../src/ensemble/combine.js';
import { labeledMetrics } from '../../src/ensemble/probability.js';

const params = z.strictObject({
  space: z.enum(['probs', 'logits']).default('probs'),
  /** One non-negative weight per member in input order, scaled to sum to 1; default equal. */
  weights: z.array(z.number().nonnegative()).min(1).optional(),
});

export default defineNode({
  name: 'ensemble/average',
  version: 1,
  description: 'Mean (optionally weighted) of several predictions\' probabilities or logits',
  params,
  inputs: { predictions: membersInput },
  outputs: { predictions: { kind: 'predictions', description: 'the averaged predictions (with logits when space: logits)' } },
  resources: { cpu: 1, gpu: 0 },
  async run(ctx) {
    const members = readMembers(ctx.inputs('predictions'), 'predictions');
    const preds = members.map((m) => m.predictions);
    const weights = normalizeWeights(ctx.params.weights, preds.length);
    const pooled = pool(preds, weights, ctx.params.space);
    const labels = mergedLabels(members);
    const meta = { ensemble: 'average', space: ctx.params.space, members: members.map((m) => m.name), weights: Object.fromEntries(members.map((m, i) => [m.name, weights[i]!])) };
    writePredictions(ctx.outputDir('predictions'), ensemblePredictions(preds[0]!, labels, pooled, meta));
    ctx.metrics({ members: preds.length, ...labeledMetrics(pooled.probs, labels, preds[0]!.numClasses) });
  },
});
