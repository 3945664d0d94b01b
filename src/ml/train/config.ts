/**
 * Every lever of a training run as one zod schema, for nodes that expose them as params
 * (train/classifier): the architecture, optimiser, loss, schedule, early stopping, mixup, epochs,
 * batch size and seed. Data (images, targets, plan, augmentation) and callbacks stay outside.
 */
import { z } from 'zod';
import { lossSpecSchema } from '../losses.js';
import { architectureSchema } from '../models/spec.js';
import { optimizerSpecSchema } from '../optimizers.js';
import { scheduleSpecSchema } from '../schedules.js';
import { earlyStoppingSchema } from './early-stopping.js';
import { mixupSchema } from './mixup.js';

export const trainingConfigSchema = z
  .object({
    model: architectureSchema,
    epochs: z.int().positive(),
    batchSize: z.int().positive().default(128),
    seed: z.int().default(0),
    optimizer: optimizerSpecSchema.prefault({}),
    loss: lossSpecSchema.prefault({}),
    schedule: scheduleSpecSchema.prefault({}),
    earlyStopping: earlyStoppingSchema.nullable().default(null),
    mixup: mixupSchema.nullable().default(null),
  })
  .strict();
export type TrainingConfig = z.output<typeof trainingConfigSchema>;
export type TrainingConfigInput = z.input<typeof trainingConfigSchema>;
