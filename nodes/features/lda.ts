/** features/lda: linear discriminant analysis with shrinkage, trained on embeddings, predicting test embeddings. */
import { z } from 'zod';
import { defineNode } from '../../src/exec/node-contract.js';
import { writePredictions } from '../../src/artifacts/predictions.js';
import { fitLda, ldaLogits } from '../../src/features/lda.js';
import { featureClassifierInputs, featurePredictions, readTrainTest } from '../../src/features/train-test.js';
import { labeledMetrics, round } from '../../src/ensemble/probability.js';

const params = z.strictObject({
  /** Weight of the scaled identity in the covariance (0..1), or 'auto' for the Ledoit–Wolf estimate. */
  shrinkage: z.union([z.literal('auto'), z.number().min(0).max(1)]).default('auto'),
  /** Class prior in the discriminant: the training frequencies, or uniform (for a balanced test set). */
  prior: z.enum(['train', 'uniform']).default('train'),
});

export default defineNode({
  name: 'features/lda',
  version: 1,
  description: 'Linear discriminant analysis with covariance shrinkage on features (embeddings or pixels)',
  params,
  inputs: featureClassifierInputs,
  outputs: { predictions: { kind: 'predictions', description: 'LDA predictions on the test rows (with logits)' } },
  resources: { cpu: 1, gpu: 0 },
  async run(ctx) {
    const { train, test } = readTrainTest(ctx.input('train'), ctx.input('test'));
    const model = fitLda(train, ctx.params);
    const logits = ldaLogits(model, test);
    const preds = featurePredictions(test, logits, { classifier: 'lda', shrinkage: round(model.shrinkage), prior: ctx.params.prior, dims: train.dims, trainRows: model.counts.reduce((a, b) => a + b, 0) });
    writePredictions(ctx.outputDir('predictions'), preds);
    ctx.metrics({ shrinkage: round(model.shrinkage), ...labeledMetrics(preds.probs, preds.labels, preds.numClasses) });
  },
});
