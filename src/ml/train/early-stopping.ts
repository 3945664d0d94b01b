/**
 * Early stopping on an epoch metric: stop after `patience` epochs without improvement and (by
 * default) restore the weights of the best epoch.
 */
import { z } from 'zod';
import { isImprovement, MONITORED_METRICS, type MonitoredMetric } from '../schedules.js';

export const earlyStoppingSchema = z
  .object({
    monitor: z.enum(MONITORED_METRICS).default('val_loss'),
    patience: z.int().min(0).default(5),
    minDelta: z.number().min(0).default(0),
    restoreBest: z.boolean().default(true),
  })
  .strict();
export type EarlyStoppingSpec = z.output<typeof earlyStoppingSchema>;
export type EarlyStoppingSpecInput = z.input<typeof earlyStoppingSchema>;

export interface EarlyStoppingState {
  best: number | null;
  /** 1-based epoch of the best value; 0 before any. */
  bestEpoch: number;
  wait: number;
}

export class EarlyStopping {
  readonly spec: EarlyStoppingSpec;
  state: EarlyStoppingState = { best: null, bestEpoch: 0, wait: 0 };

  constructor(spec: EarlyStoppingSpecInput) {
    this.spec = earlyStoppingSchema.parse(spec);
  }

  /** Records an epoch; returns whether it is the new best and whether training should stop. */
  update(epoch: number, metrics: Partial<Record<MonitoredMetric, number>>): { improved: boolean; stop: boolean } {
    const value = metrics[this.spec.monitor];
    if (value === undefined) throw new Error(`early stopping monitors ${this.spec.monitor}, which this run does not compute`);
    if (isImprovement(this.spec.monitor, value, this.state.best, this.spec.minDelta)) {
      this.state = { best: value, bestEpoch: epoch, wait: 0 };
      return { improved: true, stop: false };
    }
    this.state.wait++;
    return { improved: false, stop: this.state.wait >= this.spec.patience };
  }
}
