/**
 * ensemble/vote: majority vote of several models' predictions over the same rows. `mode: soft`
 * averages probabilities instead (the same as ensemble/average with its defaults).
 */
import { z } from 'zod';
import { defineNode } from '../../src/exec/node-contract.js';
import { writePredictions } from '../../src/artifacts/predictions.js';
import { ensemblePredictions, membersInput, mergedLabels, readMembers } from '../../src/ensemble/members.js';
import { hardVote, normalizeWeights, pool } from '../../src/ensemble/combine.js';
import { labeledMetrics, round } from '../../src/ensemble/probability.js';

const params = z.strictObject({
  /** hard: one vote per member for its top class, ties to the larger summed probability; soft: mean of probabilities. */
  mode: z.enum(['hard', 'soft']).default('hard'),
});

export default defineNode({
  name: 'ensemble/vote',
  version: 1,
  description: 'Majority vote (hard) or mean probability (soft) of several predictions over the same rows',
  params,
  inputs: { predictions: membersInput },
  outputs: { predictions: { kind: 'predictions', description: 'the ensemble\'s predictions (hard: (votes + mean prob) / (members + 1))' } },
  resources: { cpu: 1, gpu: 0 },
  async run(ctx) {
    const members = readMembers(ctx.inputs('predictions'), 'predictions');
    const preds = members.map((m) => m.predictions);
    const labels = mergedLabels(members);
    const first = preds[0]!;
    const meta = { ensemble: 'vote', mode: ctx.params.mode, members: members.map((m) => m.name) };
    if (ctx.params.mode === 'soft') {
      const pooled = pool(preds, normalizeWeights(undefined, preds.length), 'probs');
      writePredictions(ctx.outputDir('predictions'), ensemblePredictions(first, labels, pooled, meta));
      ctx.metrics({ members: preds.length, ...labeledMetrics(pooled.probs, labels, first.numClasses) });
      return;
    }
    const vote = hardVote(preds);
    const agreement = vote.agreement.reduce((a, b) => a + b, 0) / Math.max(1, first.rows);
    writePredictions(ctx.outputDir('predictions'), ensemblePredictions(first, labels, vote, { ...meta, meanAgreement: round(agreement) }));
    ctx.metrics({ members: preds.length, agreement: round(agreement), ...labeledMetrics(vote.probs, labels, first.numClasses) });
  },
});
