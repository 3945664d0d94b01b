/**
 * fewshot/prototypes: nearest-class-mean classifier on embeddings. Alone, it predicts the test
 * rows from class means of the training embeddings; given a model's predictions on the same test
 * rows, it re-ranks each row's top-K classes by blending in prototype similarity, which is free of
 * the training prior and so lifts tail classes the model under-predicts.
 */
import { z } from 'zod';
import { defineNode, NodeUserError } from '../../src/exec/node-contract.js';
import { checkAligned, readFeatures, readPredictions, writePredictions } from '../../src/artifacts/predictions.js';
import { buildPrototypes, prototypeScores, rerankTopK } from '../../src/fewshot/prototypes.js';
import { argmaxRows, labeledMetrics, softmaxRows } from '../../src/ensemble/probability.js';

const params = z.strictObject({
  metric: z.enum(['cosine', 'euclidean']).default('cosine'),
  /** Cosine only: subtract the training mean before normalising (CL2N). */
  centre: z.boolean().default(true),
  /** Scores are similarity / temperature (cosine) or −squared distance / temperature (euclidean). */
  temperature: z.number().positive().default(0.1),
  /** Re-ranking: how many of the model's top classes per row prototypes may reorder. */
  k: z.number().int().min(2).default(5),
  /** Re-ranking: weight of the prototype probabilities against the model's within the top K (0..1). */
  blend: z.number().min(0).max(1).default(0.5),
});

export default defineNode({
  name: 'fewshot/prototypes',
  version: 1,
  description: 'Nearest-class-mean (prototypical) classifier on embeddings; optionally re-ranks a model\'s top-K classes',
  params,
  inputs: {
    train_features: { kind: 'features', description: 'labeled training embeddings: one prototype per class' },
    test_features: { kind: 'features', description: 'embeddings of the rows to predict' },
    predictions: { kind: 'predictions', optional: true, description: 'a model\'s predictions on the same test rows, to re-rank' },
  },
  outputs: { predictions: { kind: 'predictions', description: 'prototype predictions, or the re-ranked model predictions' } },
  resources: { cpu: 1, gpu: 0 },
  async run(ctx) {
    const p = ctx.params;
    const trainInput = ctx.input('train_features');
    const train = readFeatures(trainInput.path);
    const testInput = ctx.input('test_features');
    const test = readFeatures(testInput.path);
    if (train.dims !== test.dims) throw new NodeUserError(`train_features have ${train.dims} dims but test_features have ${test.dims}`);
    if (train.classes.join('\n') !== test.classes.join('\n')) throw new NodeUserError(`train_features ${trainInput.producer} and test_features ${testInput.producer} have different classes`);
    const protos = buildPrototypes(train, p.metric, p.centre);
    const C = train.classes.length;
    if (protos.counts.every((n) => n === 0)) throw new NodeUserError(`train_features ${trainInput.producer} have no labeled rows`);
    const scores = prototypeScores(protos, test, p.temperature);
    const missing = train.classes.filter((_, c) => protos.counts[c] === 0);
    if (missing.length) ctx.log(`no training rows (no prototype) for ${missing.length} classes: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`);
    const meta = { fewshot: 'prototypes', metric: p.metric, centre: p.centre, temperature: p.temperature, classesWithoutPrototype: missing };
    const out = ctx.outputDir('predictions');
    const modelInput = ctx.inputs('predictions')[0];
    if (!modelInput) {
      const probs = softmaxRows(scores, test.rows, C);
      writePredictions(out, { probs, logits: scores, rows: test.rows, numClasses: C, labels: test.labels, classes: test.classes, meta: { ...meta, split: test.meta.split } });
      ctx.metrics(labeledMetrics(probs, test.labels, C));
      return;
    }
    const model = readPredictions(modelInput.path);
    checkAligned([
      { name: `test_features ${testInput.producer}`, rows: test.rows, classes: test.classes, labels: test.labels },
      { name: `predictions ${modelInput.producer}`, rows: model.rows, classes: model.classes, labels: model.labels },
    ]);
    const probs = rerankTopK(model.probs, scores, model.rows, C, p.k, p.blend);
    const before = argmaxRows(model.probs, model.rows, C);
    const after = argmaxRows(probs, model.rows, C);
    const changed = after.reduce((n, c, r) => n + (c !== before[r] ? 1 : 0), 0);
    const labels = Int32Array.from(model.labels, (l, r) => (l >= 0 ? l : test.labels[r]!));
    writePredictions(out, { probs, rows: model.rows, numClasses: C, labels, classes: model.classes, meta: { ...model.meta, ...meta, reranked: { k: p.k, blend: p.blend, changedRows: changed } } });
    ctx.metrics({ changed_rows: changed, ...labeledMetrics(model.probs, labels, C, 'model_'), ...labeledMetrics(probs, labels, C) });
  },
});
