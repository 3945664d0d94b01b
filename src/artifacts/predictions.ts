/**
 * The `predictions` and `features` artifacts, read and written in one place so that the predict,
 * ensemble, calibration, evaluation and report nodes agree on them (layout in docs/artifacts.md).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NodeUserError } from '../exec/node-contract.js';
import { asLabels, readNpy, writeNpy } from '../data/npy.js';
import { readJsonFile, writeJsonFile } from '../data/json-file.js';

export interface Predictions {
  /** Rows × classes, row-major; each row sums to 1. */
  probs: Float32Array;
  /** Same shape as probs when the producer had logits (ensembles of probabilities do not). */
  logits?: Float32Array;
  rows: number;
  numClasses: number;
  /** True label per row, −1 where unknown (the unlabeled test set). */
  labels: Int32Array;
  classes: string[];
  meta: Record<string, unknown>;
}

export interface Features {
  /** Rows × dims, row-major. */
  features: Float32Array;
  rows: number;
  dims: number;
  labels: Int32Array;
  classes: string[];
  meta: Record<string, unknown>;
}



function readMatrix(file: string, what: string): { data: Float32Array; rows: number; cols: number } {
  const arr = readNpy(file);
  if (arr.dtype !== 'float32' || arr.shape.length !== 2) {
    throw new NodeUserError(`${file}: ${what} must be a 2-D float32 array, got ${arr.dtype} ${JSON.stringify(arr.shape)}`);
  }
  return { data: arr.data as Float32Array, rows: arr.shape[0]!, cols: arr.shape[1]! };
}

function readLabelsOrUnknown(dir: string, rows: number): Int32Array {
  const file = join(dir, 'labels.npy');
  return existsSync(file) ? asLabels(readNpy(file), file, rows) : new Int32Array(rows).fill(-1);
}

export function readPredictions(dir: string): Predictions {
  const probsFile = join(dir, 'probs.npy');
  if (!existsSync(probsFile)) throw new NodeUserError(`${dir} is not a predictions artifact: no probs.npy`);
  const probs = readMatrix(probsFile, 'probs');
  const logitsFile = join(dir, 'logits.npy');
  const logits = existsSync(logitsFile) ? readMatrix(logitsFile, 'logits') : undefined;
  if (logits && (logits.rows !== probs.rows || logits.cols !== probs.cols)) {
    throw new NodeUserError(`${logitsFile}: shape ${logits.rows}×${logits.cols} differs from probs ${probs.rows}×${probs.cols}`);
  }
  const classes = readJsonFile<string[]>(join(dir, 'classes.json'));
  if (classes.length !== probs.cols) throw new NodeUserError(`${dir}: ${classes.length} classes but probs has ${probs.cols} columns`);
  const metaFile = join(dir, 'meta.json');
  return {
    probs: probs.data,
    ...(logits ? { logits: logits.data } : {}),
    rows: probs.rows,
    numClasses: probs.cols,
    labels: readLabelsOrUnknown(dir, probs.rows),
    classes,
    meta: existsSync(metaFile) ? readJsonFile<Record<string, unknown>>(metaFile) : {},
  };
}

export function writePredictions(dir: string, p: Predictions): void {
  if (p.probs.length !== p.rows * p.numClasses) throw new Error('writePredictions: probs do not match rows×classes');
  writeNpy(join(dir, 'probs.npy'), { dtype: 'float32', shape: [p.rows, p.numClasses], data: p.probs });
  if (p.logits) writeNpy(join(dir, 'logits.npy'), { dtype: 'float32', shape: [p.rows, p.numClasses], data: p.logits });
  writeNpy(join(dir, 'labels.npy'), { dtype: 'int32', shape: [p.rows], data: p.labels });
  writeJsonFile(join(dir, 'classes.json'), p.classes);
  writeJsonFile(join(dir, 'meta.json'), { kind: 'predictions', rows: p.rows, ...p.meta });
}

export function readFeatures(dir: string): Features {
  const m = readMatrix(join(dir, 'features.npy'), 'features');
  const metaFile = join(dir, 'meta.json');
  return {
    features: m.data, rows: m.rows, dims: m.cols,
    labels: readLabelsOrUnknown(dir, m.rows),
    classes: readJsonFile<string[]>(join(dir, 'classes.json')),
    meta: existsSync(metaFile) ? readJsonFile<Record<string, unknown>>(metaFile) : {},
  };
}

export function writeFeatures(dir: string, f: Features): void {
  if (f.features.length !== f.rows * f.dims) throw new Error('writeFeatures: features do not match rows×dims');
  writeNpy(join(dir, 'features.npy'), { dtype: 'float32', shape: [f.rows, f.dims], data: f.features });
  writeNpy(join(dir, 'labels.npy'), { dtype: 'int32', shape: [f.rows], data: f.labels });
  writeJsonFile(join(dir, 'classes.json'), f.classes);
  writeJsonFile(join(dir, 'meta.json'), { kind: 'features', rows: f.rows, dims: f.dims, ...f.meta });
}

/** All inputs of an ensemble must describe the same rows and classes; says which one does not. */
export function checkAligned(list: { name: string; rows: number; classes: string[]; labels: Int32Array }[]): void {
  const first = list[0];
  if (!first) return;
  for (const p of list.slice(1)) {
    if (p.rows !== first.rows) throw new NodeUserError(`${p.name} has ${p.rows} rows but ${first.name} has ${first.rows}: predictions must cover the same dataset`);
    if (p.classes.join('\n') !== first.classes.join('\n')) throw new NodeUserError(`${p.name} and ${first.name} have different classes`);
    for (let i = 0; i < p.rows; i++) {
      if (p.labels[i] !== first.labels[i] && p.labels[i] !== -1 && first.labels[i] !== -1) {
        throw new NodeUserError(`${p.name} and ${first.name} disagree on the label of row ${i}: not the same dataset rows`);
      }
    }
  }
}
