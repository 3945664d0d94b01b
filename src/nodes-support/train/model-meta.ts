/**
 * meta.json of a `model` artifact written by train/classifier: what predict/classifier (and any
 * other consumer) needs to use the model without guessing — its classes in output order and the
 * image size it takes — plus the spec and training history for reports.
 */
import { NodeUserError } from '../../exec/node-contract.js';

export interface ModelHistoryEpoch {
  epoch: number;
  loss: number;
  accuracy: number;
  lr: number;
  val_loss?: number;
  val_accuracy?: number;
  val_balanced_accuracy?: number;
}

export interface ModelMeta {
  kind: 'model';
  /** Class names; index = output column. */
  classes: string[];
  /** [height, width, channels] of one input image. */
  inputShape: [number, number, number];
  /** The resolved model spec buildModel was given. */
  spec: Record<string, unknown>;
  /** The resolved training levers (without the volatile backend). */
  training: Record<string, unknown>;
  /**
   * Per-epoch loss/accuracy/lr and validation scores. Timings are left out on purpose: meta.json
   * is part of the artifact's digest, and a deterministic model must hash the same on every run
   * (early cutoff); throughput goes to the stage's metrics instead.
   */
  history: ModelHistoryEpoch[];
  epochsRun: number;
  restoredEpoch: number | null;
  stoppedEarly: boolean;
  rows: { train: number; extra: number; perEpoch: number };
}

/** Checks the fields consumers rely on; `where` names the model directory in messages. */
export function parseModelMeta(raw: Record<string, unknown> | null, where: string): ModelMeta {
  if (!raw) throw new NodeUserError(`${where}: no meta.json; train/classifier writes one next to model.json`);
  const classes = raw.classes;
  const shape = raw.inputShape;
  if (!Array.isArray(classes) || !classes.every((c) => typeof c === 'string')) {
    throw new NodeUserError(`${where}/meta.json: "classes" must be a list of class names`);
  }
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new NodeUserError(`${where}/meta.json: "inputShape" must be [height, width, channels]`);
  }
  return raw as unknown as ModelMeta;
}
