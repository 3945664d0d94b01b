/**
 * calibrate/balance: corrects a model trained on a long-tailed prior for a test set with a known
 * (e.g. uniform) class distribution. Two steps, each optional:
 * 1. logit adjustment: logits − τ·log(training prior), the prior counted from a `train` artifact's
 *    labels or given as `trainCounts`;
 * 2. balanced assignment: Sinkhorn–Knopp rescaling of the class columns so the test rows' summed
 *    probabilities match N × the target prior.
 */
import { z } from 'zod';
import { defineNode, NodeUserError } from '../../src/exec/node-contract.js';
import { readPredictions, writePredictions } from '../../src/artifacts/predictions.js';
import { adjustLogits } from '../../src/calibrate/logit-adjust.js';
import { labelCounts, priorFromCounts } from '../../src/calibrate/prior.js';
import { sinkhorn } from '../../src/calibrate/sinkhorn.js';
import { argmaxRows, labeledMetrics, round, scoresOf, softmaxRows } from '../../src/ensemble/probability.js';

const params = z.strictObject({
  /** Strength of the logit adjustment; used when a training prior is known (train input or trainCounts). */
  tau: z.number().nonnegative().default(1),
  /** Training rows per class, in class order, instead of a `train` input. */
  trainCounts: z.array(z.number().nonnegative()).optional(),
  /** Added to every training count (0: a class without training rows is an error). */
  smoothing: z.number().nonnegative().default(0),
  /** sinkhorn: balanced assignment to the target prior; none: logit adjustment only. */
  assign: z.enum(['sinkhorn', 'none']).default('sinkhorn'),
  /** The test set's known class distribution: uniform, or one non-negative weight per class. */
  targetPrior: z.union([z.literal('uniform'), z.array(z.number().nonnegative())]).default('uniform'),
  iterations: z.number().int().positive().default(1000),
  /** Largest relative deviation of a class's summed probability from its target before stopping. */
  tolerance: z.number().positive().default(1e-4),
});

/** A class with target 0 gets this logit offset instead of −∞, so logits stay finite. */
const ABSENT_CLASS_OFFSET = -1e4;

export default defineNode({
  name: 'calibrate/balance',
  version: 1,
  description: 'Post-hoc logit adjustment for a long-tailed training prior, and balanced assignment to a known test prior (Sinkhorn)',
  params,
  inputs: {
    predictions: { kind: 'predictions', description: 'the model\'s predictions on the test rows' },
    train: { kind: ['dataset', 'features', 'predictions'], optional: true, description: 'any artifact with the training labels (labels.npy, classes.json): its class counts are the training prior' },
  },
  outputs: { predictions: { kind: 'predictions', description: 'calibrated predictions (logits = adjusted logits + per-class offsets)' } },
  resources: { cpu: 1, gpu: 0 },
  async run(ctx) {
    const p = ctx.params;
    const inputPath = ctx.input('predictions').path;
    const preds = readPredictions(inputPath);
    const { classes, rows, numClasses: C } = preds;
    const trainInput = ctx.inputs('train')[0];
    if (trainInput && p.trainCounts) throw new NodeUserError('give the training prior either as a train input or as trainCounts, not both');
    const counts = trainInput ? labelCounts(trainInput.path, classes) : p.trainCounts;
    const trainPrior = counts ? priorFromCounts(counts, classes, p.smoothing, trainInput ? `${trainInput.path} (train labels)` : 'trainCounts') : undefined;
    const adjusting = trainPrior !== undefined && p.tau > 0;
    if (!adjusting && p.assign === 'none') throw new NodeUserError('nothing to do: assign is none and no training prior (train input or trainCounts) with tau > 0 is given');

    let logits = scoresOf(preds);
    if (adjusting) logits = adjustLogits(logits, rows, trainPrior, p.tau);
    const meta: Record<string, unknown> = {
      calibration: { tau: adjusting ? p.tau : 0, trainPrior: trainPrior?.map((x) => round(x, 8)) ?? null, assign: p.assign },
    };
    let probs: Float32Array;
    if (p.assign === 'sinkhorn') {
      if (adjusting) ctx.log('note: balanced assignment rescales every class, so it absorbs the logit adjustment (a per-class offset): the result is that of assignment alone');
      const target = priorFromCounts(p.targetPrior === 'uniform' ? new Array<number>(C).fill(1) : p.targetPrior, classes, 0, 'targetPrior');
      const result = sinkhorn(logits, rows, target, { iterations: p.iterations, tolerance: p.tolerance });
      if (!result.converged) ctx.log(`sinkhorn stopped after ${result.iterations} iterations with a column-sum deviation of ${result.maxDeviation.toExponential(2)} (tolerance ${p.tolerance})`);
      probs = result.probs;
      const offsets = Array.from(result.logScale, (x) => (Number.isFinite(x) ? x : ABSENT_CLASS_OFFSET));
      logits = Float32Array.from(logits, (z, i) => z + offsets[i % C]!);
      Object.assign(meta.calibration as object, { targetPrior: target.map((x) => round(x, 8)), iterations: result.iterations, maxDeviation: result.maxDeviation, converged: result.converged, classOffsets: offsets.map((x) => round(x)) });
      ctx.metrics({ sinkhorn_iterations: result.iterations, sinkhorn_max_deviation: result.maxDeviation, sinkhorn_converged: result.converged });
    } else {
      probs = softmaxRows(logits, rows, C);
    }
    const predicted = new Array<number>(C).fill(0);
    for (const c of argmaxRows(probs, rows, C)) predicted[c]!++;
    writePredictions(ctx.outputDir('predictions'), { probs, logits, rows, numClasses: C, labels: preds.labels, classes, meta: { ...preds.meta, ...meta } });
    ctx.metrics({
      predicted_min_class_share: round(Math.min(...predicted) / rows),
      predicted_max_class_share: round(Math.max(...predicted) / rows),
      ...labeledMetrics(probs, preds.labels, C),
    });
  },
});
