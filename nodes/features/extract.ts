/**
 * features/extract: penultimate-layer embeddings of a trained model on a dataset (the input of its
 * classifier layer, or a named layer, globally average-pooled when spatial), as a `features`
 * artifact for features/lda, features/gbdt and fewshot/prototypes.
 */
import { z } from 'zod';
import { defineNode } from '../../src/exec/node-contract.js';
import { backendParam } from '../../src/nodes-support/train/backend.js';

const params = z.strictObject({
  /** Layer whose output is the embedding; null: the input of the last dense (classifier) layer. */
  layer: z.string().min(1).nullable().default(null),
  /** Rows per inference batch; does not change the result. */
  batchSize: z.int().positive().default(256),
  backend: backendParam,
});

export default defineNode({
  name: 'features/extract',
  version: 1,
  description: 'Penultimate-layer embeddings of a trained model on a dataset',
  params,
  inputs: {
    model: { kind: 'model', description: 'a model from train/classifier or ensemble/distill' },
    dataset: { kind: 'dataset', description: 'the images to embed; labels are carried along' },
  },
  outputs: { features: { kind: 'features', description: 'features.npy (N, D) float32, labels.npy, classes.json, meta.json' } },
  resources: { cpu: 1, gpu: 0, memory: 2048 },
  volatileParams: ['backend', 'batchSize'],
  async run(ctx) {
    const p = ctx.params;
    const { readDataset } = await import('../../src/data/dataset.js');
    const { writeFeatures } = await import('../../src/artifacts/predictions.js');
    const { activateBackend } = await import('../../src/nodes-support/train/backend.js');
    const { parseModelMeta } = await import('../../src/nodes-support/train/model-meta.js');
    const { sameClasses } = await import('../../src/nodes-support/train/training-set.js');
    const { NodeUserError } = await import('../../src/exec/node-contract.js');
    const dsIn = ctx.input('dataset');
    const modelIn = ctx.input('model');
    const ds = readDataset(dsIn.path);
    const dsName = `dataset (${dsIn.producer}.${dsIn.output})`;
    const modelName = `model ${modelIn.producer}.${modelIn.output}`;
    await activateBackend(ctx, p.backend);
    const { loadModel, readModelMeta } = await import('../../src/ml/io/index.js');
    const { predictLogits } = await import('../../src/ml/train/index.js');
    const { embeddingModel } = await import('../../src/features/extract.js');
    const meta = parseModelMeta(await readModelMeta(modelIn.path), modelName);
    sameClasses(meta.classes, modelName, ds.classes, dsName);
    const [h, w] = meta.inputShape;
    if (h !== ds.height || w !== ds.width) throw new NodeUserError(`${modelName} takes ${h}×${w} images but ${dsName} holds ${ds.height}×${ds.width}`);
    const model = await loadModel(modelIn.path);
    try {
      const embed = embeddingModel(model, p.layer, modelName);
      // predictLogits is a batched inference pass; for this model its "classes" are the embedding dims.
      const features = predictLogits(embed.model, { images: ds.images, imageShape: [h, w, 1] }, { batchSize: p.batchSize });
      const dims = embed.model.outputs[0]!.shape[1]!;
      writeFeatures(ctx.outputDir('features'), {
        features, rows: ds.count, dims, labels: ds.labels, classes: ds.classes,
        meta: { split: ds.meta.split ?? null, model: modelIn.producer, layer: embed.layer },
      });
      ctx.metrics({ rows: ds.count, dims });
    } finally {
      model.dispose();
    }
  },
});
