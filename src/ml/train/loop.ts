/**
 * The training loop shared by the training nodes (not model.fit): augmentation, mixup, soft
 * targets, class and sample weights, per-batch progress, validation, LR schedule, early stopping and
 * epoch checkpoints all meet here.
 *
 * Determinism: four independent random streams derive from `seed` (shuffle, augment, noise for
 * dropout-like layers, mixup), so e.g. turning augmentation on does not change the shuffling. With
 * the seeded initialisation of buildModel, two runs with the same seed on the same backend end with
 * identical weights, and a run resumed from a checkpoint ends with the weights of an uninterrupted one.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { NodeUserError, type ProgressUpdate } from '../../exec/node-contract.js';
import { setLayerNoise } from '../layers/noise.js';
import { makeLoss, type LossSpecInput } from '../losses.js';
import { ParamOptimizer, type OptimizerSpecInput } from '../optimizers.js';
import { Rng } from '../rng.js';
import { LrSchedule, type ScheduleSpecInput } from '../schedules.js';
import { loadLatestCheckpoint, saveCheckpoint, type Checkpoint } from './checkpoint.js';
import { checkImageSet, classMass, epochRows, type ImageSet, type TrainingSet } from './data.js';
import { EarlyStopping, type EarlyStoppingSpecInput } from './early-stopping.js';
import { evaluate } from './evaluate.js';
import type { EpochMetrics } from './metrics.js';
import { mixupSchema } from './mixup.js';
import { makeTrainStep } from './step.js';

/**
 * A per-batch augmentation: takes a batch of images in [0, 1] (NHWC) and returns the augmented
 * batch of the same shape. It runs inside a tf.tidy, so it may allocate freely; all randomness must
 * come from `rng` (the run's augmentation stream) for runs to be repeatable and resumable.
 */
export type AugmentFn = (batch: tf.Tensor4D, rng: Rng) => tf.Tensor4D;

export interface TrainOptions {
  /** Trained in place; on return it holds the final (or, with early stopping, the best) weights. */
  model: tf.LayersModel;
  train: TrainingSet;
  /** Needs labels; required when a schedule or early stopping monitors a `val_*` metric. */
  validation?: ImageSet;
  epochs: number;
  batchSize: number;
  /** Fixes shuffling, augmentation, dropout masks and mixup (initialisation is buildModel's seed). */
  seed: number;
  optimizer?: OptimizerSpecInput;
  loss?: LossSpecInput;
  schedule?: ScheduleSpecInput;
  earlyStopping?: EarlyStoppingSpecInput | null;
  mixup?: z.input<typeof mixupSchema> | null;
  augment?: AugmentFn;
  /** After every batch; `step`/`total` count batches over the whole run. */
  onBatch?: (update: ProgressUpdate) => void;
  /** After every epoch, once its checkpoint is written. */
  onEpoch?: (metrics: EpochMetrics) => void | Promise<void>;
  /** Checked between batches; an aborted run throws TrainingAbortedError and keeps its last checkpoint. */
  signal?: AbortSignal;
  /** Where epoch checkpoints go; a run finding one there resumes from it. */
  resumeDir?: string;
  evalBatchSize?: number;
}

export interface TrainResult {
  history: EpochMetrics[];
  /** 1-based epoch whose weights the model holds when early stopping restored the best; else null. */
  restoredEpoch: number | null;
  stoppedEarly: boolean;
  /** Epoch count of the checkpoint this call resumed from, null for a fresh run. */
  resumedFromEpoch: number | null;
}

export class TrainingAbortedError extends Error {
  override name = 'AbortError';
  constructor(readonly epoch: number) {
    super(`training aborted during epoch ${epoch}`);
  }
}

const STREAMS = ['shuffle', 'augment', 'noise', 'mixup'] as const;
type Streams = Record<(typeof STREAMS)[number], Rng>;

function snapshotWeights(model: tf.LayersModel): Float32Array[] {
  return model.weights.map((w) => (w.read().dataSync() as Float32Array).slice());
}

function restoreWeights(model: tf.LayersModel, values: Float32Array[], source: string): void {
  if (values.length !== model.weights.length) {
    throw new Error(`${source} holds ${values.length} weight tensors, the model has ${model.weights.length}`);
  }
  model.weights.forEach((w, i) => {
    const shape = w.shape as number[];
    if (values[i]!.length !== shape.reduce((a, b) => a * b, 1)) {
      throw new Error(`${source}: weight ${w.originalName} has ${values[i]!.length} values for shape [${shape}]`);
    }
    tf.tidy(() => {
      w.write(tf.tensor(values[i]!, shape));
    });
  });
}

function positiveInt(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1) throw new NodeUserError(`${what} must be a positive integer, got ${value}`);
  return value;
}

export async function trainClassifier(opts: TrainOptions): Promise<TrainResult> {
  const { model, train, validation, signal } = opts;
  const epochs = positiveInt(opts.epochs, 'epochs');
  const batchSize = positiveInt(opts.batchSize, 'batchSize');
  const inputShape = model.inputs[0]!.shape.slice(1) as number[];
  const numClasses = model.outputs[0]!.shape[1]!;
  const n = checkImageSet(train, 'training set', numClasses, inputShape);
  if (validation) {
    checkImageSet(validation, 'validation set', numClasses, inputShape);
    if (!validation.labels) throw new NodeUserError('validation set: needs labels');
  }
  // Epoch 1's rows fix the epoch length and the class mass that priors and balanced weights use.
  const firstRows = epochRows(train, n, 0);
  const rowsOf = (epoch: number): Int32Array => {
    if (epoch === 0) return firstRows;
    const rows = epochRows(train, n, epoch);
    if (rows.length !== firstRows.length) {
      throw new NodeUserError(`training plan: epoch ${epoch + 1} lists ${rows.length} rows, epoch 1 lists ${firstRows.length}`);
    }
    return rows;
  };
  const stepsPerEpoch = Math.ceil(firstRows.length / batchSize);
  const totalSteps = stepsPerEpoch * epochs;
  const lossFn = makeLoss(opts.loss ?? {}, numClasses, classMass(train, firstRows, numClasses));
  const params = model.trainableWeights.map((w) => ({
    variable: w.read() as tf.Variable,
    // Decoupled decay touches kernels only, as L2 does.
    decay: /kernel$/.test(w.originalName),
  }));
  const optimizer = new ParamOptimizer(opts.optimizer ?? {}, params);
  // From here on the optimiser holds tensors: every exit must go through the finally.
  try {
    const schedule = new LrSchedule(opts.schedule ?? {}, optimizer.spec.lr, stepsPerEpoch, totalSteps);
    const early = opts.earlyStopping ? new EarlyStopping(opts.earlyStopping) : null;
    for (const [what, monitor] of [
      ['early stopping', early?.spec.monitor],
      ['plateau schedule', schedule.spec.kind === 'plateau' ? schedule.spec.monitor : undefined],
    ] as const) {
      if (monitor?.startsWith('val_') && !validation) throw new NodeUserError(`${what} monitors ${monitor} but there is no validation set`);
    }
    const mixup = opts.mixup ? mixupSchema.parse(opts.mixup) : null;
    const rng = Object.fromEntries(STREAMS.map((s) => [s, Rng.stream(opts.seed, s)])) as Streams;

    let history: EpochMetrics[] = [];
    let startEpoch = 0;
    let best: Float32Array[] | null = null;
    let finished = false;
    let stoppedEarly = false;
    let resumedFromEpoch: number | null = null;

    if (opts.resumeDir) {
      const ckpt = await loadLatestCheckpoint(opts.resumeDir);
      if (ckpt) {
        restoreWeights(model, ckpt.tensors['weights'] ?? [], `checkpoint in ${opts.resumeDir}`);
        optimizer.setState({ step: ckpt.state.optimizerStep, slots: ckpt.tensors['slots'] ?? [] });
        for (const s of STREAMS) rng[s].setState(ckpt.state.rng[s]!);
        schedule.setState(ckpt.state.schedule);
        if (early && ckpt.state.earlyStopping) early.state = ckpt.state.earlyStopping;
        best = ckpt.tensors['best']?.length ? ckpt.tensors['best'] : null;
        history = ckpt.state.history;
        startEpoch = ckpt.state.epoch;
        finished = ckpt.state.finished || startEpoch >= epochs;
        stoppedEarly = ckpt.state.finished && startEpoch < epochs;
        resumedFromEpoch = startEpoch;
      }
    }

    const trainStep = makeTrainStep({
      model, params, optimizer, lossFn, numClasses, train, augment: opts.augment, mixup,
      augmentRng: rng.augment, mixupRng: rng.mixup,
    });

    setLayerNoise(rng.noise);
    for (let epoch = startEpoch; epoch < epochs && !finished; epoch++) {
      const order = rng.shuffle.shuffle(rowsOf(epoch).slice());
      const started = performance.now();
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let lr = 0;
      for (let b = 0; b < stepsPerEpoch; b++) {
        // Let pending events (a cancel, a signal handler) run, then honour them between batches.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (signal?.aborted) throw new TrainingAbortedError(epoch + 1);
        const batchRows = order.subarray(b * batchSize, Math.min(order.length, (b + 1) * batchSize));
        const step = epoch * stepsPerEpoch + b;
        lr = schedule.lrAt(step);
        const [loss, hits] = trainStep(batchRows, lr);
        if (!Number.isFinite(loss)) {
          throw new NodeUserError(`training diverged: loss is ${loss} at epoch ${epoch + 1}, batch ${b + 1}; lower the learning rate`);
        }
        lossSum += loss * batchRows.length;
        correct += hits;
        seen += batchRows.length;
        opts.onBatch?.({
          step: step + 1,
          total: totalSteps,
          unit: 'batch',
          label: `epoch ${epoch + 1}/${epochs}`,
          metrics: { loss: lossSum / seen, accuracy: correct / seen, lr },
        });
      }
      const trainSeconds = (performance.now() - started) / 1000;
      const metrics: EpochMetrics = {
        epoch: epoch + 1,
        loss: lossSum / seen,
        accuracy: correct / seen,
        lr,
        images_per_sec: seen / trainSeconds,
        seconds: 0,
      };
      if (validation) {
        const v = evaluate(model, validation, { batchSize: opts.evalBatchSize });
        metrics.val_loss = v.loss;
        metrics.val_accuracy = v.accuracy;
        metrics.val_balanced_accuracy = v.balancedAccuracy;
      }
      metrics.seconds = (performance.now() - started) / 1000;
      schedule.endEpoch(metrics);
      if (early) {
        const { improved, stop } = early.update(epoch + 1, metrics);
        if (improved && early.spec.restoreBest) best = snapshotWeights(model);
        if (stop) stoppedEarly = finished = true;
      }
      if (epoch + 1 === epochs) finished = true;
      history.push(metrics);
      if (opts.resumeDir) {
        const optimizerState = optimizer.getState();
        const ckpt: Checkpoint = {
          state: {
            epoch: epoch + 1,
            finished,
            optimizerStep: optimizerState.step,
            rng: Object.fromEntries(STREAMS.map((s) => [s, rng[s].getState()])),
            schedule: schedule.getState(),
            earlyStopping: early ? early.state : null,
            history,
          },
          tensors: { weights: snapshotWeights(model), slots: optimizerState.slots, best: best ?? [] },
        };
        await saveCheckpoint(opts.resumeDir, ckpt);
      }
      await opts.onEpoch?.(metrics);
    }

    let restoredEpoch: number | null = null;
    if (early?.spec.restoreBest && best) {
      restoreWeights(model, best, 'best weights');
      restoredEpoch = early.state.bestEpoch;
    }
    return { history, restoredEpoch, stoppedEarly, resumedFromEpoch };
  } finally {
    setLayerNoise(null);
    optimizer.dispose();
  }
}
