/**
 * Which metrics a reporter shows when space is short. Nodes name metrics freely, so each shown
 * quantity is found through the names nodes in this project (and Keras/TF.js habits) use for it.
 */
import type { MetricValue } from '../exec/node-contract.js';
import { formatMetricValue } from './format.js';

export interface LiveMetric {
  label: string;
  names: readonly string[];
}

/** The quantities a training stage is watched by, in display order. */
export const LIVE_METRICS: readonly LiveMetric[] = [
  { label: 'loss', names: ['loss', 'train_loss'] },
  { label: 'acc', names: ['accuracy', 'acc', 'val_accuracy', 'val_acc', 'balanced_accuracy'] },
  { label: 'lr', names: ['lr', 'learning_rate'] },
  { label: 'img/s', names: ['images_per_s', 'images_per_sec', 'imagesPerSec', 'images/s', 'img_per_s', 'throughput'] },
];

export const LOSS_NAMES = LIVE_METRICS[0]!.names;

/** Metrics that state how good an evaluated model is, best headline first. */
export const HEADLINE_NAMES: readonly string[] = [
  'balanced_accuracy',
  'macro_f1',
  'accuracy',
  'acc',
  'top1',
  'top1_accuracy',
  'val_balanced_accuracy',
  'val_accuracy',
  'val_acc',
  'f1',
];

type Metrics = Readonly<Record<string, MetricValue | undefined>>;

export function findMetric(metrics: Metrics, names: readonly string[]): { name: string; value: MetricValue } | undefined {
  for (const name of names) {
    const value = metrics[name];
    if (value !== undefined && value !== null) return { name, value };
  }
  return undefined;
}

/** `loss 0.812  acc 0.71  lr 1.0e-3  img/s 2340` from whatever of those the metrics hold. */
export function liveMetricsText(metrics: Metrics): string {
  return LIVE_METRICS.flatMap((m) => {
    const found = findMetric(metrics, m.names);
    return found ? [`${m.label} ${formatMetricValue(found.value)}`] : [];
  }).join('  ');
}

export function headlineMetric(metrics: Metrics): { name: string; value: MetricValue } | undefined {
  return findMetric(metrics, HEADLINE_NAMES);
}

/** Up to `max` metrics as `name value`, well-known ones first, then the node's own order. */
export function metricsText(metrics: Metrics, max: number): string {
  const known = [...new Set([...HEADLINE_NAMES, ...LIVE_METRICS.flatMap((m) => m.names)])];
  const names = Object.keys(metrics).filter((n) => metrics[n] !== undefined);
  const ordered = [...known.filter((n) => names.includes(n)), ...names.filter((n) => !known.includes(n))];
  const shown = ordered.slice(0, max).map((n) => `${n} ${formatMetricValue(metrics[n]!)}`);
  if (ordered.length > max) shown.push(`(+${ordered.length - max})`);
  return shown.join('  ');
}
