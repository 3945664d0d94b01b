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
import { accuracy, balancedAccuracy, labeledMetrics, round } from '../../src/ensemble/probability.js';

const params = z.strictObject({
  /** Maximise validation log-likelihood (smooth, the default) or accuracy (ties to likelihood). */
  objective: z.enum(['log-likelihood', 'accuracy']).default('log-likelihood'),
  space: z.enum(['probs', 'logits']).default('probs'),
  iterations: z.number().int().positive().default(500),
  /**
   * Weight validation rows so that every class counts alike (accuracy becomes balanced accuracy):
   * a validation split of a long-tailed training set is long-tailed, a balanced test set is not.
   */
  classBalanced: z.boolean().default(false),
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
    const { objective, space, iterations, classBalanced } = ctx.params;
    const { val, test, valLabels } = readFittedMembers(ctx.inputs('val'), ctx.inputs('test'));
    const valPreds = val.map((m) => m.predictions);
    const fit = fitWeights(valPreds, valLabels, { space, objective, iterations, classBalanced });
    const C = valPreds[0]!.numClasses;
    const valPooled = pool(valPreds, fit.weights, space).probs;
    const testPreds = test.map((m) => m.predictions);
    const pooled = pool(testPreds, fit.weights, space);
    const names = test.map((m) => m.name);
    const meta = {
      ensemble: 'weighted',
      objective,
      space,
      classBalanced,
      members: names,
      weights: Object.fromEntries(names.map((n, i) => [n, round(fit.weights[i]!)])),
      validation: {
        rows: valLabels.filter((l) => l >= 0).length,
        ...labeledMetrics(valPooled, valLabels, C),
        members: Object.fromEntries(valPreds.map((p, i) => [val[i]!.name, labeledMetrics(p.probs, valLabels, C)])),
      },
    };
    const labels = mergedLabels(test);
    writePredictions(ctx.outputDir('predictions'), ensemblePredictions(testPreds[0]!, labels, pooled, meta));
    ctx.log(`weights ${names.map((n, i) => `${n}=${fit.weights[i]!.toFixed(3)}`).join(' ')}`);
    ctx.metrics({
      members: names.length,
      ...labeledMetrics(valPooled, valLabels, C, 'val_'),
      best_member_val_accuracy: round(Math.max(...valPreds.map((p) => accuracy(p.probs, valLabels, C)!))),
      best_member_val_balanced_accuracy: round(Math.max(...valPreds.map((p) => balancedAccuracy(p.probs, valLabels, C)!))),
      ...labeledMetrics(pooled.probs, labels, testPreds[0]!.numClasses),
    });
  },
});
