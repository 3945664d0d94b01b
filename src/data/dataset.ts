/**
 * The dataset artifact: a directory with `images.npy` (N,H,W) uint8, `labels.npy` (N,) int32
 * (−1 = unlabeled), `classes.json` (names; index = label) and `meta.json`. docs/artifacts.md is
 * the reference other nodes rely on.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NodeUserError } from '../exec/node-contract.js';
import { asImageStack, asLabels, readNpy, writeNpy } from './npy.js';
import { readJsonFile, writeJsonFile } from './json-file.js';

export interface DatasetMeta {
  /** Where the images came from, as the user named it (never an absolute path: outputs are content-hashed). */
  source: string;
  split: string;
  size: number;
  seed?: number;
  total: number;
  countsPerClass: Record<string, number>;
  [extra: string]: unknown;
}

export interface Dataset {
  /** (N, H, W) row-major uint8, white strokes on black. */
  images: Uint8Array;
  count: number;
  height: number;
  width: number;
  labels: Int32Array;
  classes: string[];
  meta: DatasetMeta;
}

export function countsPerClass(labels: Int32Array, classes: readonly string[]): Record<string, number> {
  const counts = new Array<number>(classes.length).fill(0);
  for (const l of labels) if (l >= 0 && l < classes.length) counts[l]!++;
  return Object.fromEntries(classes.map((c, i) => [c, counts[i]!]));
}


/** What a writer says about a dataset; size, total and counts are derived from the arrays. */
export interface DatasetMetaInput {
  source: string;
  split: string;
  seed?: number;
  [extra: string]: unknown;
}

export function writeDataset(dir: string, ds: Omit<Dataset, 'meta'> & { meta: DatasetMetaInput }): void {
  if (ds.images.length !== ds.count * ds.height * ds.width) throw new Error('writeDataset: images do not match count×height×width');
  if (ds.labels.length !== ds.count) throw new Error('writeDataset: one label per image expected');
  writeNpy(join(dir, 'images.npy'), { dtype: 'uint8', shape: [ds.count, ds.height, ds.width], data: ds.images });
  writeNpy(join(dir, 'labels.npy'), { dtype: 'int32', shape: [ds.count], data: ds.labels });
  writeJsonFile(join(dir, 'classes.json'), ds.classes);
  const meta: DatasetMeta = {
    ...ds.meta,
    size: ds.height,
    total: ds.count,
    countsPerClass: countsPerClass(ds.labels, ds.classes),
  };
  writeJsonFile(join(dir, 'meta.json'), meta);
}


export function readDataset(dir: string): Dataset {
  const imagesFile = join(dir, 'images.npy');
  const stack = asImageStack(readNpy(imagesFile), imagesFile);
  const [count, height, width] = stack.shape as [number, number, number];
  const labelsFile = join(dir, 'labels.npy');
  const labels = existsSync(labelsFile) ? asLabels(readNpy(labelsFile), labelsFile, count) : new Int32Array(count).fill(-1);
  const classesFile = join(dir, 'classes.json');
  const classes = readJsonFile(classesFile);
  if (!Array.isArray(classes) || !classes.every((c) => typeof c === 'string')) {
    throw new NodeUserError(`${classesFile}: must be a JSON array of class names`);
  }
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]! < -1 || labels[i]! >= classes.length) {
      throw new NodeUserError(`${labelsFile}: label ${labels[i]} at row ${i} is outside 0..${classes.length - 1} (classes.json)`);
    }
  }
  const metaFile = join(dir, 'meta.json');
  const meta = (existsSync(metaFile) ? readJsonFile(metaFile) : {}) as DatasetMeta;
  return { images: stack.data, count, height, width, labels, classes, meta };
}
