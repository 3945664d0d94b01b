/**
 * The body of train/classifier, loaded only when the stage runs (TensorFlow.js stays out of
 * `dag status`): read the inputs, build the model, train with progress and metrics, save.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { NodeUserError, type InputArtifact, type NodeContext } from '../../exec/node-contract.js';
import { readDataset, type Dataset } from '../../data/dataset.js';
import { readPlan } from '../../data/plan.js';
import { readPredictions } from '../../artifacts/predictions.js';
import { SeededRng } from '../../data/rng.js';
import type { EpochMetrics, ImageSet } from '../../ml/train/index.js';
import type { TrainClassifierParams } from '../../../nodes/train/classifier.js';
import { activateBackend } from './backend.js';
import type { ModelMeta } from './model-meta.js';
import { assembleTrainingSet, sameClasses } from './training-set.js';
import { BatchProgress } from './batch-progress.js';
import { initialStatisticsShare } from '../../ml/models/spec.js';

/** Above this share of initial batch-norm statistics after training, the node warns (see initialStatisticsShare). */
const BN_SHARE_WARNING = 1e-3;

function describe(a: InputArtifact, name: string): string {
  return `${name} (${a.producer}.${a.output})`;
}

function asImageSet(ds: Dataset): ImageSet {
  return { images: ds.images, imageShape: [ds.height, ds.width, 1], labels: ds.labels };
}

export async function trainModel(ctx: NodeContext<TrainClassifierParams>): Promise<void> {
  const p = ctx.params;
  const trainIn = ctx.input('train');
  const train = readDataset(trainIn.path);
  const trainName = describe(trainIn, 'train');
  if (train.count === 0) throw new NodeUserError(`${trainName} has no rows`);
  const optional = (name: string) => ctx.inputs(name)[0];
  const valIn = optional('val');
  const planIn = optional('plan');
  const softIn = optional('soft_targets');
  const extraIn = optional('extra');
  const extraTargetsIn = optional('extra_targets');

  let val: Dataset | undefined;
  if (valIn) {
    val = readDataset(valIn.path);
    sameClasses(train.classes, trainName, val.classes, describe(valIn, 'val'));
    if (val.labels.includes(-1)) throw new NodeUserError(`${describe(valIn, 'val')} has unlabelled rows; validation needs labels`);
    // An empty validation split (data/quickdraw without `val`) means no validation.
    if (val.count === 0) val = undefined;
  }
  const assembled = assembleTrainingSet({
    train,
    trainName,
    ...(planIn ? { plan: readPlan(planIn.path) } : {}),
    ...(softIn ? { softTargets: readPredictions(softIn.path), softTargetsName: describe(softIn, 'soft_targets') } : {}),
    ...(extraIn ? { extra: readDataset(extraIn.path), extraName: describe(extraIn, 'extra') } : {}),
    ...(extraTargetsIn ? { extraTargets: readPredictions(extraTargetsIn.path), extraTargetsName: describe(extraTargetsIn, 'extra_targets') } : {}),
    soft: p.softTargets,
    pseudo: p.pseudoLabels,
  });

  await activateBackend(ctx, p.backend);
  const tf = await import('@tensorflow/tfjs');
  const { buildModel, countParams } = await import('../../ml/models/index.js');
  const { trainClassifier } = await import('../../ml/train/index.js');
  const { saveModel } = await import('../../ml/io/index.js');
  const { augmentBatch } = await import('../../data/augment.js');

  const inputShape: [number, number, number] = [train.height, train.width, 1];
  const spec = { ...p.model, inputShape, numClasses: train.classes.length };
  const model = buildModel(spec, { seed: p.seed });
  const size = countParams(model);
  ctx.log(
    `${p.model.arch}: ${size.trainable} trainable params; ${assembled.perEpoch} rows per epoch ` +
      `(${assembled.trainRows} train rows, ${assembled.extraRows}/${assembled.extraOffered} extra rows kept)`,
  );
  const steps = p.epochs * Math.ceil(assembled.perEpoch / p.batchSize);
  const bnShare = initialStatisticsShare(p.model.bnMomentum, steps);
  if (bnShare > BN_SHARE_WARNING) {
    ctx.log(
      `warning: after ${steps} steps the batch-norm moving statistics still hold ${(100 * bnShare).toPrecision(2)}% of their ` +
        `initial values (model.bnMomentum ${p.model.bnMomentum}); inference can be far worse than training. Use a lower bnMomentum, e.g. 0.9.`,
    );
  }
  const augmentSpec = p.augment;
  // The loop's augment stream seeds one data-layer RNG per batch, so augmentation is repeatable and resumes exactly.
  const augment = augmentSpec
    ? (batch: tfTypes.Tensor4D, rng: { tfSeed(): number }) => augmentBatch(batch, augmentSpec, new SeededRng(rng.tfSeed()))
    : undefined;

  const progress = new BatchProgress(p.batchSize, assembled.perEpoch);
  try {
    const result = await trainClassifier({
      model,
      train: assembled.set,
      ...(val ? { validation: asImageSet(val) } : {}),
      epochs: p.epochs,
      batchSize: p.batchSize,
      seed: p.seed,
      optimizer: p.optimizer,
      loss: p.loss,
      schedule: p.schedule,
      earlyStopping: p.earlyStopping,
      mixup: p.mixup,
      ...(augment ? { augment } : {}),
      evalBatchSize: p.evalBatchSize,
      signal: ctx.signal,
      resumeDir: ctx.resumeDir,
      onBatch: (u) => ctx.progress(progress.update(u)),
      onEpoch: (m: EpochMetrics) => {
        progress.endEpoch();
        ctx.metrics(epochMetrics(m));
        ctx.log(formatEpoch(m, p.epochs));
      },
    });
    const history = result.history;
    const final = result.restoredEpoch ? history[result.restoredEpoch - 1]! : history.at(-1)!;
    const { backend: _backend, evalBatchSize: _eval, model: _arch, ...training } = p;
    const meta: ModelMeta = {
      kind: 'model',
      classes: train.classes,
      inputShape,
      spec,
      training,
      history: history.map(({ images_per_sec: _ips, seconds: _s, ...rest }) => rest),
      epochsRun: history.length,
      restoredEpoch: result.restoredEpoch,
      stoppedEarly: result.stoppedEarly,
      rows: { train: assembled.trainRows, extra: assembled.extraRows, perEpoch: assembled.perEpoch },
    };
    await saveModel(model, ctx.outputDir('model'), meta as unknown as Record<string, unknown>);
    const trainSeconds = history.reduce((s, h) => s + h.seconds, 0);
    const imagesSeen = history.length * assembled.perEpoch;
    ctx.metrics({
      epochs_run: history.length,
      stopped_early: result.stoppedEarly,
      restored_epoch: result.restoredEpoch,
      resumed_from_epoch: result.resumedFromEpoch,
      loss: final.loss,
      accuracy: final.accuracy,
      ...(final.val_accuracy !== undefined
        ? { val_loss: final.val_loss!, val_accuracy: final.val_accuracy, val_balanced_accuracy: final.val_balanced_accuracy! }
        : {}),
      // Training throughput over the whole run (forward, backward, update; validation excluded).
      images_per_s: round(imagesSeen / history.reduce((s, h) => s + assembled.perEpoch / h.images_per_sec, 0)),
      images_seen: imagesSeen,
      bn_initial_share: bnShare,
      train_seconds: round(trainSeconds),
      params: size.trainable,
      train_rows: assembled.trainRows,
      extra_rows: assembled.extraRows,
    });
  } finally {
    model.dispose();
    tf.disposeVariables();
  }
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

/** Per-epoch metrics as events: prefixed so they never overwrite the final ones of the result. */
function epochMetrics(m: EpochMetrics): Record<string, number> {
  const out: Record<string, number> = { epoch: m.epoch, epoch_loss: m.loss, epoch_accuracy: m.accuracy, epoch_lr: m.lr, epoch_images_per_s: round(m.images_per_sec) };
  if (m.val_loss !== undefined) out.epoch_val_loss = m.val_loss;
  if (m.val_accuracy !== undefined) out.epoch_val_accuracy = m.val_accuracy;
  if (m.val_balanced_accuracy !== undefined) out.epoch_val_balanced_accuracy = m.val_balanced_accuracy;
  return out;
}

function formatEpoch(m: EpochMetrics, epochs: number): string {
  const val = m.val_accuracy !== undefined ? ` val_loss ${m.val_loss!.toFixed(4)} val_acc ${m.val_accuracy.toFixed(4)} val_bal_acc ${m.val_balanced_accuracy!.toFixed(4)}` : '';
  return `epoch ${m.epoch}/${epochs}: loss ${m.loss.toFixed(4)} acc ${m.accuracy.toFixed(4)}${val} lr ${m.lr.toPrecision(3)} ${m.images_per_sec.toFixed(0)} images/s (${m.seconds.toFixed(1)} s)`;
}
