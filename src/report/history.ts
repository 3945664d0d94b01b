/** Per-epoch training histories, read from the meta.json of model artifacts for learning curves. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NodeUserError } from '../exec/node-contract.js';

/** The fields of src/ml/train's EpochMetrics that learning curves plot. */
export interface EpochRecord {
  epoch: number;
  loss?: number;
  accuracy?: number;
  val_loss?: number;
  val_accuracy?: number;
  [metric: string]: number | undefined;
}

const isHistory = (v: unknown): v is EpochRecord[] =>
  Array.isArray(v) && v.length > 0 && v.every((e) => typeof e === 'object' && e !== null && typeof (e as EpochRecord).epoch === 'number');

/**
 * The first `history` array of epoch records at the top of meta.json or one level down
 * (`training.history`, `summary.history`, …), since producers nest their training summary.
 */
export function findHistory(meta: Record<string, unknown>): EpochRecord[] | null {
  if (isHistory(meta.history)) return meta.history;
  for (const v of Object.values(meta)) {
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && isHistory((v as Record<string, unknown>).history)) {
      return (v as Record<string, unknown>).history as EpochRecord[];
    }
  }
  return null;
}

export interface ModelHistory {
  name: string;
  history: EpochRecord[];
}

/** Null when the model has no meta.json or it records no history (e.g. an imported model). */
export function readModelHistory(dir: string, fallbackName: string): ModelHistory | null {
  const file = join(dir, 'meta.json');
  if (!existsSync(file)) return null;
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new NodeUserError(`${file}: invalid JSON (${(e as Error).message})`);
  }
  const history = findHistory(meta);
  if (!history) return null;
  return { name: typeof meta.name === 'string' && meta.name ? meta.name : fallbackName, history: [...history].sort((a, b) => a.epoch - b.epoch) };
}
