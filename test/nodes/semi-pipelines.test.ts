/**
 * pipelines/seed-replica-semi.yaml and pipelines/best.yaml end to end at a tiny budget (four
 * classes, one teacher, a few epochs), through their params only: every stage runs, the winner's
 * pseudo-labels obey its threshold, best's vote is balanced to the uniform test prior, and best's
 * distilled student is evaluated.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { dagAsync, history, makeProject, repoRoot, sharedData } from '../helpers/cli.js';

const CLASSES = ['apple', 'bicycle', 'eye', 'fish'];
type StageRecord = { stageId: string; metrics?: Record<string, number> };

async function runPipeline(file: string, sets: Record<string, string>) {
  const dir = makeProject({ 'four-classes.txt': CLASSES.join('\n') + '\n' });
  cpSync(join(repoRoot, 'pipelines'), join(dir, 'pipelines'), { recursive: true });
  const args = Object.entries({
    'source.path': sharedData, 'testSource.path': sharedData, classesFile: 'four-classes.txt',
    trainMax: '80', trainMin: '20', testPerClass: '30', seeds: '[1]', epochs: '2',
    width: '0.5', batchSize: '32', lr: '0.003', bnMomentum: '0.9', backend: 'wasm', ...sets,
  }).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
  const r = await dagAsync(dir, ['run', `pipelines/${file}`, '--plain', ...args]).done;
  const stages = r.code === 0 ? (history(dir).at(-1)!.stages as unknown as StageRecord[]) : [];
  rmSync(dir, { recursive: true, force: true });
  assert.equal(r.code, 0, r.stderr + r.stdout.slice(-2000));
  return (id: string) => {
    const s = stages.find((x) => x.stageId === id);
    assert.ok(s, `stage ${id} ran`);
    return s.metrics ?? {};
  };
}

test('seed-replica-semi: threshold pseudo-labels from the teachers, a noisy student, its vote evaluated', async () => {
  const stage = await runPipeline('seed-replica-semi.yaml', { oversampleTo: '100', trainMax: '100', pseudoThreshold: '0.4', epochs: '5', studentSeeds: '[11]' });
  const pseudo = stage('pseudo');
  assert.ok(pseudo.selected! > 0 && pseudo.selected! <= 4 * 30, `${pseudo.selected} pseudo-labels`);
  assert.ok(pseudo.mean_confidence! >= 0.4);
  assert.equal(stage('student@11').extra_rows, pseudo.selected);
  console.log(`seed-replica-semi at a tiny budget: ${pseudo.selected} pseudo-labels (accuracy ${pseudo.pseudo_accuracy}), student vote ${stage('eval').accuracy}`);
  assert.ok(pseudo.pseudo_accuracy! > 0.45, `pseudo-label accuracy ${pseudo.pseudo_accuracy} (chance 0.25)`);
  assert.ok(stage('eval').accuracy! > 0.45, `student vote accuracy ${stage('eval').accuracy} (chance 0.25)`);
});

test('best: balanced-softmax teachers, a mirrored logit vote balanced to the test prior, a distilled student', async () => {
  const stage = await runPipeline('best.yaml', { arch: 'cnn', epochs: '4', distillEpochs: '3' });
  // Mirror TTA: two views per teacher on the test rows; the vote of the single teacher is balanced.
  assert.equal(stage('predict@1').views, 2);
  // Balanced assignment: no class takes more than a small excess over its quarter of the test rows.
  assert.ok(stage('balanced').predicted_max_class_share! < 0.4, `largest predicted class share ${stage('balanced').predicted_max_class_share}`);
  assert.equal(stage('distill').teachers, 1);
  assert.ok(stage('distill').images_seen! >= 3 * (4 * 30 + 200), `distilled on train and test rows: ${stage('distill').images_seen} images`);
  console.log(`best at a tiny budget: vote ${stage('eval').accuracy}, distilled ${stage('eval_distilled').accuracy}`);
  assert.ok(stage('eval').accuracy! > 0.45, `balanced vote accuracy ${stage('eval').accuracy} (chance 0.25)`);
  assert.ok(stage('eval_distilled').accuracy! > 0.45, `distilled student accuracy ${stage('eval_distilled').accuracy} (chance 0.25)`);
});
