/**
 * Learning-rate schedules. Every schedule may start with a linear warm-up; then
 * - `constant`: the base rate;
 * - `cosine`: cosine decay per step from the base rate to `minLr` at the last step;
 * - `plateau`: reduce-on-plateau — multiply by `factor` when the monitored epoch metric has not
 *   improved for `patience` epochs (then wait `cooldown` epochs), never below `minLr`.
 * A schedule's mutable state is plain JSON so checkpoints can carry it.
 */
import { z } from 'zod';

/** Epoch metrics a schedule or early stopping may watch. */
export const MONITORED_METRICS = ['val_loss', 'val_accuracy', 'val_balanced_accuracy', 'loss', 'accuracy'] as const;

export const scheduleSpecSchema = z
  .object({
    kind: z.enum(['constant', 'cosine', 'plateau']).default('constant'),
    warmupEpochs: z.number().min(0).default(0),
    minLr: z.number().min(0).default(0),
    /** plateau: multiplier applied on a plateau. */
    factor: z.number().gt(0).lt(1).default(0.5),
    /** plateau: epochs without improvement before reducing. */
    patience: z.int().min(0).default(2),
    cooldown: z.int().min(0).default(0),
    /** plateau: the epoch metric watched. */
    monitor: z.enum(MONITORED_METRICS).default('val_loss'),
    /** plateau: smallest change that counts as an improvement. */
    minDelta: z.number().min(0).default(1e-4),
  })
  .strict();
export type ScheduleSpec = z.output<typeof scheduleSpecSchema>;
export type ScheduleSpecInput = z.input<typeof scheduleSpecSchema>;

export type MonitoredMetric = (typeof MONITORED_METRICS)[number];

/** Whether a larger value of the metric is better. */
export function higherIsBetter(metric: MonitoredMetric): boolean {
  return metric.endsWith('accuracy');
}

/** Tracks the best value of a monitored metric and how long ago it was reached. */
export interface PlateauState {
  best: number | null;
  /** Epochs since the best (or since the last reduction). */
  wait: number;
}

export function isImprovement(metric: MonitoredMetric, value: number, best: number | null, minDelta: number): boolean {
  if (best === null) return Number.isFinite(value);
  return higherIsBetter(metric) ? value > best + minDelta : value < best - minDelta;
}

export interface ScheduleState {
  /** Product of all plateau reductions so far. */
  scale: number;
  plateau: PlateauState;
  cooldownLeft: number;
}

export class LrSchedule {
  readonly spec: ScheduleSpec;
  private state: ScheduleState = { scale: 1, plateau: { best: null, wait: 0 }, cooldownLeft: 0 };

  constructor(
    specInput: ScheduleSpecInput,
    private readonly baseLr: number,
    private readonly stepsPerEpoch: number,
    private readonly totalSteps: number,
  ) {
    this.spec = scheduleSpecSchema.parse(specInput);
  }

  /** The learning rate of global step `step` (0-based over the whole run). */
  lrAt(step: number): number {
    const warmupSteps = Math.round(this.spec.warmupEpochs * this.stepsPerEpoch);
    if (step < warmupSteps) return (this.baseLr * (step + 1)) / warmupSteps;
    switch (this.spec.kind) {
      case 'constant':
        return this.baseLr;
      case 'plateau':
        return Math.max(this.spec.minLr, this.baseLr * this.state.scale);
      case 'cosine': {
        const span = Math.max(1, this.totalSteps - warmupSteps - 1);
        const progress = Math.min(1, (step - warmupSteps) / span);
        return this.spec.minLr + 0.5 * (this.baseLr - this.spec.minLr) * (1 + Math.cos(Math.PI * progress));
      }
    }
  }

  /** Feeds an epoch's metrics; a plateau schedule may reduce the rate for the next epoch. */
  endEpoch(metrics: Partial<Record<MonitoredMetric, number>>): void {
    if (this.spec.kind !== 'plateau') return;
    const value = metrics[this.spec.monitor];
    if (value === undefined) throw new Error(`plateau schedule monitors ${this.spec.monitor}, which this run does not compute`);
    // Same bookkeeping as Keras's ReduceLROnPlateau.
    const s = this.state;
    if (s.cooldownLeft > 0) {
      s.cooldownLeft--;
      s.plateau.wait = 0;
    }
    if (isImprovement(this.spec.monitor, value, s.plateau.best, this.spec.minDelta)) {
      s.plateau = { best: value, wait: 0 };
    } else if (s.cooldownLeft === 0) {
      s.plateau.wait++;
      if (s.plateau.wait >= this.spec.patience) {
        s.scale *= this.spec.factor;
        s.plateau.wait = 0;
        s.cooldownLeft = this.spec.cooldown;
      }
    }
  }

  getState(): ScheduleState {
    return structuredClone(this.state);
  }

  setState(state: ScheduleState): void {
    this.state = structuredClone(state);
  }
}
