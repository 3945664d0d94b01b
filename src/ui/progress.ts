/**
 * How far a stage is and how long it still needs. A training node reports batches within an epoch
 * (`label: "epoch 3/20"`, `unit: "batch"`, `step`/`total` = batch of the epoch), so the overall
 * fraction folds the epoch from the label into the batch fraction.
 */
import type { ProgressUpdate } from '../exec/node-contract.js';
import type { RunState, StageView } from './run-state.js';

const EPOCH_IN_LABEL = /epoch\s+(\d+)\s*\/\s*(\d+)/i;

export function progressFraction(p: ProgressUpdate): number {
  const inner = p.total > 0 ? Math.min(1, Math.max(0, p.step / p.total)) : 0;
  const epoch = p.label?.match(EPOCH_IN_LABEL);
  if (epoch && p.unit !== 'epoch') {
    const current = Number(epoch[1]);
    const epochs = Number(epoch[2]);
    if (epochs > 0 && current >= 1) return Math.min(1, (current - 1 + inner) / epochs);
  }
  return inner;
}

/** `epoch 2/3 · batch 12/25`, or `batch 12/25` without a label. */
export function describeProgress(p: ProgressUpdate, separator = ' · '): string {
  const counter = `${p.unit ?? 'step'} ${p.step}/${p.total}`;
  return p.label ? `${p.label}${separator}${counter}` : counter;
}

/** Remaining time of a running stage extrapolated from its progress; undefined while unknown. */
export function stageEtaMs(stage: StageView, now: number): number | undefined {
  if (stage.state !== 'running' || !stage.progress || stage.startedAt === undefined) return undefined;
  const fraction = progressFraction(stage.progress);
  if (fraction <= 0) return undefined;
  const elapsedAtUpdate = stage.progress.time - stage.startedAt;
  if (elapsedAtUpdate <= 0) return undefined;
  const remaining = (elapsedAtUpdate * (1 - fraction)) / fraction;
  return Math.max(0, remaining - Math.max(0, now - stage.progress.time));
}

/**
 * Remaining time of the whole run: running stages by their own ETA, stages still to start at the
 * mean duration of the stages this run finished, all spread over the run's job slots. Undefined
 * until there is something to extrapolate from.
 */
export function runEtaMs(run: RunState, now: number): number | undefined {
  if (run.finished) return 0;
  let durations = run.stages.filter((s) => s.state === 'done' && s.durationMs !== undefined).map((s) => s.durationMs!);
  if (durations.length === 0) {
    // Before any stage finished, the projected durations of the running ones are the best guess.
    durations = run.stages.flatMap((s) => {
      const eta = stageEtaMs(s, now);
      return eta !== undefined && s.startedAt !== undefined ? [now - s.startedAt + eta] : [];
    });
  }
  const mean = durations.length > 0 ? durations.reduce((a, b) => a + b, 0) / durations.length : undefined;
  let longestRunning = 0;
  let work = 0;
  for (const s of run.stages) {
    if (s.state === 'running') {
      const eta = stageEtaMs(s, now) ?? (mean !== undefined && s.startedAt !== undefined ? Math.max(0, mean - (now - s.startedAt)) : undefined);
      if (eta === undefined) return undefined;
      longestRunning = Math.max(longestRunning, eta);
      work += eta;
    } else if (s.state === 'queued' || (s.state === 'waiting' && s.planState !== 'blocked')) {
      if (mean === undefined) return undefined;
      work += mean;
    }
  }
  return Math.max(longestRunning, work / run.jobs);
}
