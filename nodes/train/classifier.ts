/**
 * train/classifier: trains one image classifier (cnn / resnet / mobilenetv2) on a dataset, with
 * every lever of src/ml/train as a param, optional balancing plan, distillation targets and
 * pseudo-labelled extra rows. Resumable: epoch checkpoints go to the stage's resume directory.
 * docs/pipelines.md describes the params; the model layout is in docs/artifacts.md.
 */
import { z } from 'zod';
import { defineNode, type NodeContext } from '../../src/exec/node-contract.js';
import { trainingConfigSchema } from '../../src/ml/train/config.js';
import { augmentSpecSchema } from '../../src/data/augment.js';
import { backendParam } from '../../src/nodes-support/train/backend.js';
import { pseudoLabelsSchema, softTargetsSchema } from '../../src/nodes-support/train/training-set.js';

const params = trainingConfigSchema.extend({
  /** Per-batch geometric augmentation of the training images (src/data/augment.ts); null = none. */
  augment: augmentSpecSchema.strict().nullable().default(null),
  /** How `soft_targets` mix with the labels of the train rows. */
  softTargets: softTargetsSchema,
  /** Which `extra` rows train and how (threshold, hard/soft, weight). */
  pseudoLabels: pseudoLabelsSchema,
  /** Batch size of validation passes; does not change the result. */
  evalBatchSize: z.int().positive().default(256),
  backend: backendParam,
});

export type TrainClassifierParams = z.output<typeof params>;

export default defineNode({
  name: 'train/classifier',
  version: 1,
  description: 'Trains an image classifier (cnn, resnet, mobilenetv2) with augmentation, balancing plan, soft targets and pseudo-labels; resumable',
  params,
  inputs: {
    train: { kind: 'dataset', description: 'labelled training images' },
    val: { kind: 'dataset', optional: true, description: 'validation images (labels needed), scored every epoch' },
    plan: { kind: 'plan', optional: true, description: 'from data/balance: the rows of one epoch (oversampling) and/or per-row loss weights' },
    soft_targets: { kind: 'predictions', optional: true, description: 'a teacher\'s probabilities for the train rows (distillation)' },
    extra: { kind: 'dataset', optional: true, description: 'more images, e.g. the unlabelled test set, trained on with extra_targets' },
    extra_targets: { kind: 'predictions', optional: true, description: 'probabilities for the extra rows (pseudo-labels)' },
  },
  outputs: {
    model: { kind: 'model', description: 'model.json + weights.bin + meta.json (spec, classes, input shape, per-epoch history)' },
  },
  resources: { cpu: 1, gpu: 0, memory: 3072 },
  volatileParams: ['backend', 'evalBatchSize'],
  async run(ctx) {
    const { trainModel } = await import('../../src/nodes-support/train/run-training.js');
    await trainModel(ctx as NodeContext<TrainClassifierParams>);
  },
});

