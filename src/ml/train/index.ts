export { trainClassifier, TrainingAbortedError, type AugmentFn, type TrainOptions, type TrainResult } from './loop.js';
export type { EpochPlan, ImageSet, TrainingSet } from './data.js';
export type { EpochMetrics } from './metrics.js';
export { evaluate, predictLogits, type Evaluation, type PredictOptions } from './evaluate.js';
export { earlyStoppingSchema, type EarlyStoppingSpec } from './early-stopping.js';
export { mixupSchema, type MixupSpec } from './mixup.js';
export { loadLatestCheckpoint, saveCheckpoint, type Checkpoint, type CheckpointState } from './checkpoint.js';
export { trainingConfigSchema, type TrainingConfig, type TrainingConfigInput } from './config.js';
