/**
 * ensemble/distill: one student trained on an ensemble's temperature-softened outputs over the
 * train rows (mixed with their labels by alpha) and the unlabeled test rows, with every training
 * lever of train/classifier. docs/semi.md describes it.
 */
import { z } from 'zod';
import { defineNode, type NodeContext } from '../../src/exec/node-contract.js';
import { trainingConfigSchema } from '../../src/ml/train/config.js';
import { augmentSpecSchema } from '../../src/data/augment.js';
import { backendParam } from '../../src/nodes-support/train/backend.js';

const params = trainingConfigSchema.extend({
  /** Divides the teachers' pooled logits before the softmax; > 1 softens the targets. */
  temperature: z.number().positive().default(2),
  /** Weight of the hard-label loss on train rows; the softened teacher gets 1 − alpha. */
  alpha: z.number().min(0).max(1).default(0.3),
  /** Loss weight of each unlabeled row (train rows weigh 1). */
  unlabeledWeight: z.number().min(0).default(1),
  augment: augmentSpecSchema.strict().nullable().default(null),
  evalBatchSize: z.int().positive().default(256),
  backend: backendParam,
});

export type DistillParams = z.output<typeof params>;

export default defineNode({
  name: 'ensemble/distill',
  version: 1,
  description: 'Distils an ensemble into one student trained on its temperature-softened outputs over the train and unlabeled images',
  params,
  inputs: {
    train: { kind: 'dataset', description: 'labelled training images' },
    teacher_train: { kind: 'predictions', many: true, description: 'the ensemble\'s (or each teacher\'s) predictions on the train rows; several are pooled by mean logits' },
    unlabeled: { kind: 'dataset', optional: true, description: 'unlabeled images, e.g. the test set' },
    teacher_unlabeled: { kind: 'predictions', many: true, optional: true, description: 'the teachers\' predictions on the unlabeled rows' },
    plan: { kind: 'plan', optional: true, description: 'from data/balance: the train rows of one epoch (oversampling) and/or per-row loss weights' },
    val: { kind: 'dataset', optional: true, description: 'validation images (labels needed), scored every epoch' },
  },
  outputs: {
    model: { kind: 'model', description: 'the student: model.json + weights.bin + meta.json (with a distillation record)' },
  },
  resources: { cpu: 1, gpu: 0, memory: 3072 },
  volatileParams: ['backend', 'evalBatchSize'],
  async run(ctx) {
    const { distill } = await import('../../src/distill/run-distillation.js');
    await distill(ctx as NodeContext<DistillParams>);
  },
});
