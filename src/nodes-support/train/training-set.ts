/**
 * Assembles the set a training run sees from the artifacts wired to train/classifier: the labelled
 * `train` dataset, an optional balancing `plan` over its rows, optional `soft_targets` for those
 * rows (distillation) and an optional `extra` dataset with `extra_targets` (pseudo-labelled test
 * images for semi-supervised students). Extra rows are appended after the train rows and visited
 * once per epoch; the plan only ever addresses train rows.
 */
import { z } from 'zod';
import { NodeUserError } from '../../exec/node-contract.js';
import type { Dataset } from '../../data/dataset.js';
import type { SamplingPlan } from '../../data/plan.js';
import { checkAligned, type Predictions } from '../../artifacts/predictions.js';
import type { TrainingSet } from '../../ml/train/index.js';
import { argmaxRow } from '../../ensemble/probability.js';

export const softTargetsSchema = z
  .strictObject({
    /** Share of the teacher in each train row's target: w·teacher + (1 − w)·one-hot label. */
    weight: z.number().min(0).max(1).default(1),
  })
  .prefault({});

export const pseudoLabelsSchema = z
  .strictObject({
    /** Extra rows whose top probability is below this are left out (the winner used 0.4). */
    threshold: z.number().min(0).max(1).default(0),
    /** Train on the argmax as a one-hot label rather than on the probabilities. */
    hard: z.boolean().default(false),
    /** Loss weight of every extra row (train rows weigh 1, times any plan weight). */
    weight: z.number().min(0).default(1),
  })
  .prefault({});

export interface TrainingInputs {
  train: Dataset;
  trainName: string;
  plan?: SamplingPlan;
  softTargets?: Predictions;
  softTargetsName?: string;
  extra?: Dataset;
  extraName?: string;
  extraTargets?: Predictions;
  extraTargetsName?: string;
  soft: z.output<typeof softTargetsSchema>;
  pseudo: z.output<typeof pseudoLabelsSchema>;
}

export interface AssembledSet {
  set: TrainingSet;
  trainRows: number;
  extraRows: number;
  extraOffered: number;
  perEpoch: number;
}

export function sameClasses(a: readonly string[], aName: string, b: readonly string[], bName: string): void {
  if (a.length !== b.length || a.some((c, i) => c !== b[i])) {
    const diff = a.findIndex((c, i) => c !== b[i]);
    const at = diff >= 0 ? `: class ${diff} is "${a[diff] ?? '(none)'}" in ${aName} but "${b[diff] ?? '(none)'}" in ${bName}` : '';
    throw new NodeUserError(`${aName} and ${bName} have different classes (${a.length} vs ${b.length})${at}`);
  }
}

export function assembleTrainingSet(inp: TrainingInputs): AssembledSet {
  const { train, plan, softTargets, extra, extraTargets } = inp;
  const C = train.classes.length;
  const n = train.count;
  const px = train.height * train.width;

  if (plan?.indices && plan.indices.epochs > 1) {
    throw new NodeUserError(
      `plan: a per-epoch schedule (${plan.indices.epochs} epochs, e.g. strategy progressive) is not supported by train/classifier; use oversample, undersample or weights`,
    );
  }
  if (plan?.weights && plan.weights.length !== n) {
    throw new NodeUserError(`plan: ${plan.weights.length} row weights for ${n} rows of ${inp.trainName}: the plan was made for another dataset`);
  }
  if (softTargets) {
    sameClasses(train.classes, inp.trainName, softTargets.classes, inp.softTargetsName ?? 'soft_targets');
    checkAligned([
      { name: inp.trainName, rows: n, classes: train.classes, labels: train.labels },
      { name: inp.softTargetsName ?? 'soft_targets', rows: softTargets.rows, classes: softTargets.classes, labels: softTargets.labels },
    ]);
  } else {
    const unlabelled = train.labels.indexOf(-1);
    if (unlabelled >= 0) {
      throw new NodeUserError(`${inp.trainName}: row ${unlabelled} has no label (−1); wire its targets to soft_targets, or unlabelled rows to extra + extra_targets`);
    }
  }
  if (extra && !extraTargets) throw new NodeUserError('input "extra" needs "extra_targets" (predictions for its rows)');
  if (extraTargets && !extra) throw new NodeUserError('input "extra_targets" needs "extra" (the images they describe)');

  // Which extra rows pass the confidence threshold, and their targets.
  const kept: number[] = [];
  if (extra && extraTargets) {
    const en = inp.extraName ?? 'extra';
    const tn = inp.extraTargetsName ?? 'extra_targets';
    sameClasses(train.classes, inp.trainName, extra.classes, en);
    sameClasses(train.classes, inp.trainName, extraTargets.classes, tn);
    if (extra.height !== train.height || extra.width !== train.width) {
      throw new NodeUserError(`${en} images are ${extra.height}×${extra.width} but ${inp.trainName} images are ${train.height}×${train.width}`);
    }
    if (extraTargets.rows !== extra.count) throw new NodeUserError(`${tn} has ${extraTargets.rows} rows but ${en} has ${extra.count}: predictions must be made on that dataset`);
    for (let i = 0; i < extra.count; i++) {
      if (extraTargets.probs[i * C + argmaxRow(extraTargets.probs, i, C)]! >= inp.pseudo.threshold) kept.push(i);
    }
  }

  const total = n + kept.length;
  const images = new Uint8Array(total * px);
  images.set(train.images, 0);
  const labels = new Int32Array(total);
  let targets: Float32Array | undefined;
  if (softTargets || kept.length > 0) targets = new Float32Array(total * C);

  for (let i = 0; i < n; i++) {
    if (!softTargets) {
      labels[i] = train.labels[i]!;
      if (targets) targets[i * C + train.labels[i]!] = 1;
      continue;
    }
    const teacher = softTargets.probs.subarray(i * C, (i + 1) * C);
    const y = train.labels[i]!;
    // Unlabelled train rows can only follow the teacher.
    const w = y >= 0 ? inp.soft.weight : 1;
    for (let k = 0; k < C; k++) targets![i * C + k] = w * teacher[k]!;
    if (y >= 0) targets![i * C + y]! += 1 - w;
    labels[i] = y >= 0 ? y : argmaxRow(softTargets.probs, i, C);
  }
  kept.forEach((src, j) => {
    const r = n + j;
    images.set(extra!.images.subarray(src * px, (src + 1) * px), r * px);
    const probs = extraTargets!.probs.subarray(src * C, (src + 1) * C);
    const top = argmaxRow(extraTargets!.probs, src, C);
    labels[r] = top;
    if (inp.pseudo.hard) targets![r * C + top] = 1;
    else targets!.set(probs, r * C);
  });

  let sampleWeights: Float32Array | undefined;
  if (plan?.weights || (kept.length > 0 && inp.pseudo.weight !== 1)) {
    sampleWeights = new Float32Array(total).fill(1);
    if (plan?.weights) sampleWeights.set(plan.weights, 0);
    sampleWeights.fill(inp.pseudo.weight, n);
  }

  const base = plan?.indices ? plan.indices.data : Int32Array.from({ length: n }, (_, i) => i);
  for (const r of base) {
    if (!(r >= 0 && r < n)) throw new NodeUserError(`plan: row ${r} is outside 0..${n - 1} of ${inp.trainName}: the plan was made for another dataset`);
  }
  const rows = new Int32Array(base.length + kept.length);
  rows.set(base, 0);
  for (let j = 0; j < kept.length; j++) rows[base.length + j] = n + j;

  return {
    set: {
      images,
      imageShape: [train.height, train.width, 1],
      labels,
      ...(targets ? { targets } : {}),
      ...(sampleWeights ? { sampleWeights } : {}),
      plan: rows,
    },
    trainRows: n,
    extraRows: kept.length,
    extraOffered: extra?.count ?? 0,
    perEpoch: rows.length,
  };
}
