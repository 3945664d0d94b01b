/**
 * The `metrics` artifact of `eval/classification`: one `metrics.json` holding every number the
 * evaluation computed, so that `report/html` (or a notebook) needs nothing else.
 */
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NodeUserError } from '../exec/node-contract.js';
import { readUserFile } from '../data/user-file.js';
import type { ClassificationMetrics } from './classification.js';

export const METRICS_JSON = 'metrics.json';

export interface MetricsFile extends ClassificationMetrics {
  kind: 'metrics';
  task: 'classification';
  /** What the report calls these predictions (the eval node's `name` param or the producer's meta). */
  name: string;
  /** Where the training counts of the head / middle / tail split came from. */
  trainCountsFrom: 'train dataset' | 'predictions meta' | null;
}

export function writeMetricsFile(dir: string, m: MetricsFile): void {
  const file = join(dir, METRICS_JSON);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(m, null, 1) + '\n');
  renameSync(tmp, file);
}

export function readMetricsFile(dir: string): MetricsFile {
  const file = join(dir, METRICS_JSON);
  if (!existsSync(file)) throw new NodeUserError(`${dir} is not a metrics artifact: no ${METRICS_JSON}`);
  let m: Partial<MetricsFile>;
  try {
    m = JSON.parse(readUserFile(file).toString('utf8')) as Partial<MetricsFile>;
  } catch (e) {
    throw new NodeUserError(`${file}: invalid JSON (${(e as Error).message})`);
  }
  if (m.task !== 'classification' || !Array.isArray(m.classes) || !Array.isArray(m.confusion) || !Array.isArray(m.perClass)) {
    throw new NodeUserError(`${file}: not classification metrics (written by eval/classification: needs task, classes, confusion, perClass)`);
  }
  return m as MetricsFile;
}
