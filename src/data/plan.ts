/** Reading a `plan` artifact (from data/balance) the way a training loop uses it. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NodeUserError } from '../exec/node-contract.js';
import { readNpy } from './npy.js';

export interface SamplingPlan {
  /** Rows to use: one epoch's worth (`epochs` = 1) or one row of indices per epoch. */
  indices?: { epochs: number; perEpoch: number; data: Int32Array };
  /** Per-row loss weights aligned with the dataset's rows. */
  weights?: Float32Array;
  meta: Record<string, unknown>;
}

export function readPlan(dir: string): SamplingPlan {
  const plan: SamplingPlan = { meta: {} };
  const indicesFile = join(dir, 'indices.npy');
  if (existsSync(indicesFile)) {
    const arr = readNpy(indicesFile);
    if (arr.dtype !== 'int32' || arr.shape.length < 1 || arr.shape.length > 2) {
      throw new NodeUserError(`${indicesFile}: expected int32 (M,) or (epochs, M), got ${arr.dtype} (${arr.shape.join(', ')})`);
    }
    const [a, b] = arr.shape as [number, number | undefined];
    plan.indices = b === undefined ? { epochs: 1, perEpoch: a, data: arr.data as Int32Array } : { epochs: a, perEpoch: b, data: arr.data as Int32Array };
  }
  const weightsFile = join(dir, 'weights.npy');
  if (existsSync(weightsFile)) {
    const arr = readNpy(weightsFile);
    if (arr.dtype !== 'float32' || arr.shape.length !== 1) {
      throw new NodeUserError(`${weightsFile}: expected float32 (N,), got ${arr.dtype} (${arr.shape.join(', ')})`);
    }
    plan.weights = arr.data as Float32Array;
  }
  if (!plan.indices && !plan.weights) throw new NodeUserError(`${dir}: a plan needs indices.npy or weights.npy`);
  const metaFile = join(dir, 'meta.json');
  if (existsSync(metaFile)) plan.meta = JSON.parse(readFileSync(metaFile, 'utf8')) as Record<string, unknown>;
  return plan;
}

/** The dataset rows of epoch `epoch` (a single-epoch plan repeats every epoch; the schedule's last row repeats past its end). */
export function epochRows(plan: SamplingPlan, epoch: number): Int32Array | undefined {
  if (!plan.indices) return undefined;
  const { epochs, perEpoch, data } = plan.indices;
  const e = Math.min(epoch, epochs - 1);
  return data.subarray(e * perEpoch, (e + 1) * perEpoch);
}
