/**
 * ensemble/weighted: a weighted mean of the members whose weights (non-negative, summing to 1) are
 * fit on labeled validation predictions, then applied to the members' test predictions.
 */
import { z } from 'zod';
import { defineNode } from '../../src/exec/node-contract.js';
import { writePredictions } from '../../src/artifacts/predictions.js';
import { ensemblePredictions, fittedEnsembleInputs, mergedLabels, readFittedMembers } from '../../src/ensemble/members.js';
import { pool } from '../../src/ensemble/combine.js';
import { fitWeights } from '../../src/ensemble/fit-weights.js';
import { labeledMetrics, round } from '../../src/ensemble/probability.js';

const params = z.strictObject({
  /** Maximise validation log-likelihood (smooth, the default) or accuracy (ties to likelihood). */
  objective: z.enum(['log-likelihood', 'accuracy']).default('log-likelihood'),
  space: z.enum(['probs', 'logits']).default('probs'),
  iterations: z.number().int().positive().default(500),
});

export default defineNode({
  name: 'ensemble/weighted',
  version: 1,
  description: 'Weighted mean of several predictions, weights fit on a labeled validation split',
  params,
  inputs: fittedEnsembleInputs,
  outputs: { predictions: { kind: 'predictions', description: 'the weighted ensemble on the test rows; weights in meta.json' } },
  resources: { cpu: 1, gpu: 0 },
  async run(ctx) {
    const { objective, space, iterations } = ctx.params;
    const { val, test, valLabels } = readFittedMembers(ctx.inputs('val'), ctx.inputs('test'));
    const fit = fitWeights(val.map((m) => m.predictions), valLabels, { space, objective, iterations });
    const testPreds = test.map((m) => m.predictions);
    const pooled = pool(testPreds, fit.weights, space);
    const names = test.map((m) => m.name);
    const meta = {
      ensemble: 'weighted',
      objective,
      space,
      members: names,
      weights: Object.fromEntries(names.map((n, i) => [n, round(fit.weights[i]!)])),
      validation: {
        rows: valLabels.filter((l) => l >= 0).length,
        accuracy: round(fit.score.accuracy),
        nll: round(fit.score.nll),
        members: Object.fromEntries(val.map((m, i) => [m.name, { accuracy: round(fit.memberScores[i]!.accuracy), nll: round(fit.memberScores[i]!.nll) }])),
      },
    };
    const labels = mergedLabels(test);
    writePredictions(ctx.outputDir('predictions'), ensemblePredictions(testPreds[0]!, labels, pooled, meta));
    ctx.log(`weights ${names.map((n, i) => `${n}=${fit.weights[i]!.toFixed(3)}`).join(' ')}`);
    ctx.metrics({
      members: names.length,
      val_accuracy: round(fit.score.accuracy),
      val_nll: round(fit.score.nll),
      best_member_val_accuracy: round(Math.max(...fit.memberScores.map((s) => s.accuracy))),
      ...labeledMetrics(pooled.probs, labels, testPreds[0]!.numClasses),
    });
  },
});
