/**
 * The body of ensemble/distill, loaded only when the stage runs. It writes the softened teacher
 * targets as predictions artifacts and hands train/classifier's own training body (trainModel) a
 * view of this stage in which they are its `soft_targets` (train rows) and `extra_targets`
 * (unlabeled rows), so a distilled student is trained exactly as any other train/classifier model.
 */
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeUserError, type InputArtifact, type NodeContext } from '../exec/node-contract.js';
import { writePredictions, type Predictions } from '../artifacts/predictions.js';
import { readDataset } from '../data/dataset.js';
import { readMembers, type Member } from '../ensemble/members.js';
import { trainModel } from '../nodes-support/train/run-training.js';
import type { TrainClassifierParams } from '../../nodes/train/classifier.js';
import type { DistillParams } from '../../nodes/ensemble/distill.js';
import { softenedTargets } from './targets.js';

function teachers(ctx: NodeContext<DistillParams>, input: string, rows: number, what: string): Member[] {
  const members = readMembers(ctx.inputs(input), input);
  const got = members[0]!.predictions.rows;
  if (got !== rows) throw new NodeUserError(`${input} ${members[0]!.name} has ${got} rows but ${what} has ${rows}: the teachers must predict that dataset`);
  return members;
}

function writeTargets(dir: string, like: Predictions, probs: Float32Array, temperature: number): void {
  mkdirSync(dir, { recursive: true });
  writePredictions(dir, { probs, rows: like.rows, numClasses: like.numClasses, labels: like.labels, classes: like.classes, meta: { split: like.meta.split ?? null, temperature } });
}

export async function distill(ctx: NodeContext<DistillParams>): Promise<void> {
  const { temperature, alpha, unlabeledWeight, ...training } = ctx.params;
  const trainIn = ctx.input('train');
  const train = readDataset(trainIn.path);
  const unlabeledIn = ctx.inputs('unlabeled')[0];
  const teacherUnlabeled = ctx.inputs('teacher_unlabeled');
  if (unlabeledIn && teacherUnlabeled.length === 0) throw new NodeUserError('input "unlabeled" needs "teacher_unlabeled" (the teachers\' predictions on those images)');
  if (!unlabeledIn && teacherUnlabeled.length > 0) throw new NodeUserError('input "teacher_unlabeled" needs "unlabeled" (the images they describe)');

  const onTrain = teachers(ctx, 'teacher_train', train.count, `train (${trainIn.producer}.${trainIn.output})`);
  const onUnlabeled = unlabeledIn ? teachers(ctx, 'teacher_unlabeled', readDataset(unlabeledIn.path).count, `unlabeled (${unlabeledIn.producer}.${unlabeledIn.output})`) : [];

  const scratch = mkdtempSync(join(tmpdir(), 'dag-distill-'));
  try {
    const softIn: InputArtifact = { path: join(scratch, 'train'), digest: '', producer: ctx.stageId, output: 'softened teacher_train' };
    writeTargets(softIn.path, onTrain[0]!.predictions, softenedTargets(onTrain.map((m) => m.predictions), temperature), temperature);
    const views: Record<string, InputArtifact[]> = { train: [trainIn], val: ctx.inputs('val'), soft_targets: [softIn], plan: ctx.inputs('plan'), extra: [], extra_targets: [] };
    if (unlabeledIn) {
      const extraTargets: InputArtifact = { path: join(scratch, 'unlabeled'), digest: '', producer: ctx.stageId, output: 'softened teacher_unlabeled' };
      writeTargets(extraTargets.path, onUnlabeled[0]!.predictions, softenedTargets(onUnlabeled.map((m) => m.predictions), temperature), temperature);
      views.extra = [unlabeledIn];
      views.extra_targets = [extraTargets];
    }
    const params: TrainClassifierParams = {
      ...training,
      // Each train row's target: (1 − α)·softened teacher + α·one-hot label, i.e. α weighs the hard-label loss.
      softTargets: { weight: 1 - alpha },
      pseudoLabels: { threshold: 0, hard: false, weight: unlabeledWeight },
    };
    const studentCtx: NodeContext<TrainClassifierParams> = {
      ...ctx,
      params,
      inputs: (name) => views[name] ?? [],
      input: (name) => {
        const one = views[name];
        if (!one || one.length !== 1) throw new NodeUserError(`ensemble/distill needs exactly one "${name}"`);
        return one[0]!;
      },
    };
    await trainModel(studentCtx);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  // The model says how it was distilled, next to train/classifier's own record.
  const metaFile = join(ctx.outputDir('model'), 'meta.json');
  const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as Record<string, unknown>;
  meta.distillation = {
    temperature,
    alpha,
    unlabeledWeight,
    teachersTrain: onTrain.map((m) => m.name),
    teachersUnlabeled: onUnlabeled.map((m) => m.name),
  };
  writeFileSync(`${metaFile}.tmp`, JSON.stringify(meta, null, 2) + '\n');
  renameSync(`${metaFile}.tmp`, metaFile);
  ctx.metrics({ temperature, alpha, teachers: onTrain.length });
}
