/** features/gbdt: multiclass gradient-boosted trees (histogram splits, softmax loss) on features. */
import { z } from 'zod';
import { defineNode } from '../../src/exec/node-contract.js';
import { writePredictions } from '../../src/artifacts/predictions.js';
import { fitGbdt, gbdtLogits } from '../../src/features/gbdt.js';
import { featureClassifierInputs, featurePredictions, readTrainTest } from '../../src/features/train-test.js';
import { labeledMetrics, round } from '../../src/ensemble/probability.js';

const params = z.strictObject({
  rounds: z.number().int().positive().default(100),
  learningRate: z.number().positive().max(1).default(0.1),
  maxDepth: z.number().int().min(1).max(12).default(4),
  bins: z.number().int().min(2).max(256).default(32),
  subsample: z.number().gt(0).max(1).default(0.8),
  colsample: z.number().gt(0).max(1).default(0.5),
  lambda: z.number().nonnegative().default(1),
  minChildWeight: z.number().nonnegative().default(1),
  seed: z.number().int().default(0),
});

export default defineNode({
  name: 'features/gbdt',
  version: 1,
  description: 'Gradient-boosted decision trees (multiclass softmax, histogram splits) on features',
  params,
  inputs: featureClassifierInputs,
  outputs: { predictions: { kind: 'predictions', description: 'GBDT predictions on the test rows (with logits)' } },
  resources: { cpu: 1, gpu: 0 },
  async run(ctx) {
    const p = ctx.params;
    const { train, test } = readTrainTest(ctx.input('train'), ctx.input('test'));
    let lastLoss = NaN;
    const model = await fitGbdt(
      { x: train.features, rows: train.rows, dims: train.dims, labels: train.labels, classes: train.classes.length },
      {
        ...p,
        onRound: (r, loss) => {
          lastLoss = loss;
          ctx.progress({ step: r + 1, total: p.rounds, unit: 'round', label: `round ${r + 1}/${p.rounds}`, metrics: { train_loss: loss } });
          return ctx.signal.aborted;
        },
      },
    );
    if (ctx.signal.aborted) throw ctx.signal.reason;
    const logits = gbdtLogits(model, test.features, test.rows);
    const preds = featurePredictions(test, logits, { classifier: 'gbdt', params: p, trees: model.trees.length * model.classes });
    writePredictions(ctx.outputDir('predictions'), preds);
    ctx.metrics({ rounds: model.trees.length, train_loss: round(lastLoss), ...labeledMetrics(preds.probs, preds.labels, preds.numClasses) });
  },
});
