/** Training images per class, for the head / middle / tail split of an evaluation. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NodeUserError } from '../exec/node-contract.js';
import { asLabels, readNpy } from '../data/npy.js';
import { readJsonFile } from '../data/json-file.js';


/** Maps `{name: count}` onto `classes`; a class the map lacks is an error naming it. */
export function countsForClasses(byName: Record<string, number>, classes: readonly string[], source: string): number[] {
  return classes.map((c) => {
    const n = byName[c];
    if (typeof n !== 'number') throw new NodeUserError(`${source} has no training count for class "${c}" of the predictions`);
    return n;
  });
}

/**
 * Counts the labels of a training dataset (only labels.npy and classes.json are read, not the
 * images) and orders them like `classes`, matching by name.
 */
export function countsFromDataset(dir: string, classes: readonly string[]): number[] {
  const classesFile = join(dir, 'classes.json');
  const names = readJsonFile(classesFile);
  if (!Array.isArray(names) || !names.every((c) => typeof c === 'string')) throw new NodeUserError(`${classesFile}: must be a JSON array of class names`);
  const labelsFile = join(dir, 'labels.npy');
  if (!existsSync(labelsFile)) throw new NodeUserError(`${dir}: the train dataset has no labels.npy, so its class counts are unknown`);
  const labels = asLabels(readNpy(labelsFile), labelsFile);
  const counts = new Array<number>(names.length).fill(0);
  for (const l of labels) if (l >= 0 && l < names.length) counts[l]!++;
  return countsForClasses(Object.fromEntries((names as string[]).map((n, i) => [n, counts[i]!])), classes, `train dataset ${dir}`);
}

/** `trainCountsPerClass` (or `trainCounts`) in a predictions artifact's meta.json, if a producer recorded it. */
export function countsFromMeta(meta: Record<string, unknown>, classes: readonly string[], source: string): number[] | undefined {
  const byName = meta.trainCountsPerClass ?? meta.trainCounts;
  if (byName === undefined) return undefined;
  if (typeof byName !== 'object' || byName === null || Array.isArray(byName)) {
    throw new NodeUserError(`${source}: trainCountsPerClass must be an object {class: count}`);
  }
  return countsForClasses(byName as Record<string, number>, classes, source);
}
