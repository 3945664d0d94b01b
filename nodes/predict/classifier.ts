/**
 * predict/classifier: class probabilities of one or more trained models on a dataset, averaged
 * over the models and over test-time augmentation views. With one model the logits are written
 * too (averaged over the views), for calibration and logit-level ensembles.
 */
import { z } from 'zod';
import { defineNode, type NodeContext } from '../../src/exec/node-contract.js';
import { backendParam } from '../../src/nodes-support/train/backend.js';
import { ttaViewSchema } from '../../src/nodes-support/train/tta.js';

const params = z.strictObject({
  /** Views averaged per model; the default is the image as it is. */
  tta: z.array(ttaViewSchema).min(1).default([{ flip: false, dx: 0, dy: 0 }]),
  /** Average probabilities (soft vote) or logits (then softmax) across models and views. */
  average: z.enum(['probs', 'logits']).default('probs'),
  /** Rows per inference batch; does not change the result. */
  batchSize: z.int().positive().default(256),
  backend: backendParam,
});

export type PredictClassifierParams = z.output<typeof params>;

export default defineNode({
  name: 'predict/classifier',
  version: 1,
  description: 'Probabilities (and, for one model, logits) of one or more models on a dataset, averaged over models and test-time augmentation views',
  params,
  inputs: {
    model: { kind: 'model', many: true, description: 'one or more models from train/classifier (same classes and input size)' },
    dataset: { kind: 'dataset', description: 'the images to predict; its labels (−1 = unknown) are carried along' },
  },
  outputs: {
    predictions: { kind: 'predictions', description: 'probs.npy, logits.npy (one model), labels.npy, classes.json, meta.json' },
  },
  resources: { cpu: 1, gpu: 0, memory: 2048 },
  volatileParams: ['backend', 'batchSize'],
  async run(ctx) {
    const { predictWithModels } = await import('../../src/nodes-support/train/run-prediction.js');
    await predictWithModels(ctx as NodeContext<PredictClassifierParams>);
  },
});
