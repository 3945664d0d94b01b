/**
 * Class priors for calibration: the training prior (from the labels of any artifact with
 * labels.npy + classes.json: a dataset, features or predictions) and a target prior.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NodeUserError } from '../exec/node-contract.js';
import { asLabels, readNpy } from '../data/npy.js';
import { readUserFile } from '../data/user-file.js';

/** Labeled rows per class of an artifact, its classes checked against the predictions' classes. */
export function labelCounts(dir: string, classes: readonly string[]): number[] {
  const labelsFile = join(dir, 'labels.npy');
  if (!existsSync(labelsFile)) throw new NodeUserError(`${dir}: no labels.npy to count the training prior from`);
  const classesFile = join(dir, 'classes.json');
  let theirs: unknown;
  try {
    theirs = JSON.parse(readUserFile(classesFile).toString('utf8'));
  } catch (e) {
    if (e instanceof NodeUserError) throw e;
    throw new NodeUserError(`${classesFile}: invalid JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(theirs) || theirs.join('\n') !== classes.join('\n')) {
    throw new NodeUserError(`${classesFile}: the training classes differ from the predictions' classes`);
  }
  const counts = new Array<number>(classes.length).fill(0);
  for (const l of asLabels(readNpy(labelsFile), labelsFile)) {
    if (l >= classes.length) throw new NodeUserError(`${labelsFile}: label ${l} is outside 0..${classes.length - 1}`);
    if (l >= 0) counts[l]!++;
  }
  return counts;
}

/** Counts (or any non-negative weights) → probabilities; smoothing is added to every count first. */
export function priorFromCounts(counts: readonly number[], classes: readonly string[], smoothing: number, what: string): number[] {
  if (counts.length !== classes.length) throw new NodeUserError(`${what} has ${counts.length} entries for ${classes.length} classes`);
  const smoothed = counts.map((n) => n + smoothing);
  const zero = smoothed.findIndex((n) => !(n > 0));
  if (zero >= 0) throw new NodeUserError(`${what}: class "${classes[zero]}" has no weight (count ${counts[zero]}); set smoothing > 0 or drop the class`);
  const total = smoothed.reduce((a, b) => a + b, 0);
  return smoothed.map((n) => n / total);
}
