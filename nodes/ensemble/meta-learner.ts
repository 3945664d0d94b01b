/**
 * ensemble/meta-learner: stacking. A multinomial logistic regression (L2, L-BFGS) on the members'
 * concatenated validation outputs learns how to combine them per class; it then predicts the test
 * rows from the members' test outputs. Validation accuracy is reported honestly, from k-fold
 * cross-validation on the validation rows.
 */
import { z } from 'zod';
import { defineNode, NodeUserError } from '../../src/exec/node-contract.js';
import { writePredictions } from '../../src/artifacts/predictions.js';
import { ensemblePredictions, fittedEnsembleInputs, mergedLabels, readFittedMembers } from '../../src/ensemble/members.js';
import { applyStacking, fitStacking } from '../../src/ensemble/stacking.js';
import { accuracy, balancedAccuracy, labeledMetrics, labeledRows, round, softmaxRows } from '../../src/ensemble/probability.js';
import { normalizeWeights, pool } from '../../src/ensemble/combine.js';

const params = z.strictObject({
  /** What each member contributes per class. */
  input: z.enum(['log-probs', 'probs']).default('log-probs'),
  /**
   * diagonal: class c's logit sees column c of every member (members × classes weights; the
   * default, since a full model has members × classes² weights and overfits a small validation
   * split when there are many classes); full: every logit sees every column.
   */
  structure: z.enum(['diagonal', 'full']).default('diagonal'),
  /** Penalty pulling the weights towards the plain average of the members' inputs. */
  l2: z.number().nonnegative().default(0.01),
  /** L-BFGS iterations per fit; on LT100-sized stacks, accuracy stops moving after about 100 (docs/ensembles.md). */
  iterations: z.number().int().positive().default(100),
  /** Cross-validation folds on the validation rows, for the honest validation accuracy. */
  folds: z.number().int().min(2).default(5),
  /** Weight validation rows so that every class counts alike in the fit (for a balanced test set). */
  classBalanced: z.boolean().default(false),
  seed: z.number().int().default(0),
});

export default defineNode({
  name: 'ensemble/meta-learner',
  version: 1,
  description: 'Stacking: logistic regression on the members\' validation predictions, applied to their test predictions',
  params,
  inputs: fittedEnsembleInputs,
  outputs: {
    predictions: { kind: 'predictions', description: 'the stacked ensemble on the test rows' },
    val: { kind: 'predictions', description: 'out-of-fold stacked predictions on the validation rows (honest)' },
  },
  resources: { cpu: 1, gpu: 0 },
  async run(ctx) {
    const p = ctx.params;
    const { val, test, valLabels } = readFittedMembers(ctx.inputs('val'), ctx.inputs('test'));
    const valPreds = val.map((m) => m.predictions);
    const testPreds = test.map((m) => m.predictions);
    const C = valPreds[0]!.numClasses;
    if (labeledRows(valLabels) < p.folds) throw new NodeUserError(`val predictions have ${labeledRows(valLabels)} labeled rows, fewer than folds (${p.folds})`);
    const stack = await fitStacking(valPreds, valLabels, {
      input: p.input, structure: p.structure, l2: p.l2, iterations: p.iterations, folds: p.folds, seed: p.seed, classBalanced: p.classBalanced,
      onProgress: (step, total) => ctx.progress({ step, total, unit: 'fit', label: step === 1 ? 'all validation rows' : `fold ${step - 1}/${total - 1}` }),
      shouldStop: () => ctx.signal.aborted,
    });
    if (ctx.signal.aborted) throw ctx.signal.reason;
    ctx.log(`L-BFGS iterations: ${stack.iterations.join(', ')} (all rows, then each fold; limit ${p.iterations})`);
    const testLogits = applyStacking(stack.model, testPreds, p.input);
    const testProbs = softmaxRows(testLogits, testPreds[0]!.rows, C);
    const valProbs = softmaxRows(stack.validationLogits, valPreds[0]!.rows, C);
    const average = pool(valPreds, normalizeWeights(undefined, valPreds.length), 'probs').probs;
    const cv = labeledMetrics(valProbs, valLabels, C, 'val_cv_');
    const names = test.map((m) => m.name);
    const meta = { ensemble: 'meta-learner', members: names, input: p.input, structure: p.structure, l2: p.l2, folds: p.folds, classBalanced: p.classBalanced, validation: cv };
    const testLabels = mergedLabels(test);
    writePredictions(ctx.outputDir('predictions'), ensemblePredictions(testPreds[0]!, testLabels, { probs: testProbs, logits: testLogits }, meta));
    writePredictions(ctx.outputDir('val'), ensemblePredictions(valPreds[0]!, valLabels, { probs: valProbs, logits: stack.validationLogits }, { ...meta, outOfFold: true }));
    ctx.metrics({
      members: names.length,
      fit_iterations: Math.max(...stack.iterations),
      ...cv,
      val_average_accuracy: round(accuracy(average, valLabels, C)!),
      val_average_balanced_accuracy: round(balancedAccuracy(average, valLabels, C)!),
      best_member_val_accuracy: round(Math.max(...valPreds.map((q) => accuracy(q.probs, valLabels, C)!))),
      best_member_val_balanced_accuracy: round(Math.max(...valPreds.map((q) => balancedAccuracy(q.probs, valLabels, C)!))),
      ...labeledMetrics(testProbs, testLabels, C),
    });
  },
});
