/**
 * Epoch checkpoints of a training run in its resume directory.
 *
 * A checkpoint is a directory `epoch-NNNN/` holding `state.json` (epoch, RNG, schedule and
 * early-stopping state, history, tensor manifest) and `tensors.bin` (float32 values of the model
 * weights, optimiser slots and best-so-far weights, back to back). It is written under a temporary
 * name and renamed into place, so a run killed at any moment leaves either the previous complete
 * checkpoint or the new one, never a torn one. Older checkpoints are removed after the rename.
 */
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RngState } from '../rng.js';
import type { ScheduleState } from '../schedules.js';
import type { EarlyStoppingState } from './early-stopping.js';
import type { EpochMetrics } from './metrics.js';

export const CHECKPOINT_VERSION = 1;

/** Everything a resumed run needs besides tensors. */
export interface CheckpointState {
  /** Epochs completed. */
  epoch: number;
  /** True once the run has finished (all epochs, or stopped early). */
  finished: boolean;
  optimizerStep: number;
  rng: Record<string, RngState>;
  schedule: ScheduleState;
  earlyStopping: EarlyStoppingState | null;
  history: EpochMetrics[];
}

export interface Checkpoint {
  state: CheckpointState;
  /** Named groups of float32 arrays, e.g. `weights`, `slots`, `best`. */
  tensors: Record<string, Float32Array[]>;
}

interface StoredState extends CheckpointState {
  version: number;
  tensorManifest: Record<string, number[]>;
}

const DIR_PATTERN = /^epoch-(\d+)$/;

async function writeDurably(path: string, data: string | Uint8Array): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function saveCheckpoint(resumeDir: string, ckpt: Checkpoint): Promise<void> {
  await mkdir(resumeDir, { recursive: true });
  const name = `epoch-${String(ckpt.state.epoch).padStart(4, '0')}`;
  const tmp = join(resumeDir, `.tmp-${name}-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp);
  const manifest: Record<string, number[]> = {};
  const parts: Float32Array[] = [];
  for (const [group, arrays] of Object.entries(ckpt.tensors)) {
    manifest[group] = arrays.map((a) => a.length);
    parts.push(...arrays);
  }
  const total = parts.reduce((n, a) => n + a.length, 0);
  const flat = new Float32Array(total);
  let offset = 0;
  for (const a of parts) {
    flat.set(a, offset);
    offset += a.length;
  }
  const stored: StoredState = { version: CHECKPOINT_VERSION, ...ckpt.state, tensorManifest: manifest };
  await writeDurably(join(tmp, 'tensors.bin'), new Uint8Array(flat.buffer));
  await writeDurably(join(tmp, 'state.json'), JSON.stringify(stored));
  const final = join(resumeDir, name);
  await rm(final, { recursive: true, force: true });
  await rename(tmp, final);
  for (const entry of await readdir(resumeDir)) {
    if ((DIR_PATTERN.test(entry) && entry !== name) || (entry.startsWith('.tmp-') && entry !== `.tmp-${name}-${process.pid}`)) {
      await rm(join(resumeDir, entry), { recursive: true, force: true });
    }
  }
}

/** The latest complete checkpoint in `resumeDir`, or null when there is none. */
export async function loadLatestCheckpoint(resumeDir: string): Promise<Checkpoint | null> {
  let entries: string[];
  try {
    entries = await readdir(resumeDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const latest = entries
    .map((e) => DIR_PATTERN.exec(e))
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => Number(b[1]) - Number(a[1]))[0];
  if (!latest) return null;
  const dir = join(resumeDir, latest[0]);
  const stored = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as StoredState;
  if (stored.version !== CHECKPOINT_VERSION) {
    throw new Error(`checkpoint ${dir} has version ${stored.version}, expected ${CHECKPOINT_VERSION}`);
  }
  const bytes = await readFile(join(dir, 'tensors.bin'));
  // Copy into an aligned buffer: a Buffer may start at any byte offset of its pool.
  const flat = new Float32Array(new Uint8Array(bytes).buffer);
  const tensors: Record<string, Float32Array[]> = {};
  let offset = 0;
  for (const [group, lengths] of Object.entries(stored.tensorManifest)) {
    tensors[group] = lengths.map((len) => {
      const a = flat.slice(offset, offset + len);
      offset += len;
      return a;
    });
  }
  if (offset !== flat.length) throw new Error(`checkpoint ${dir}: tensors.bin holds ${flat.length} values, manifest ${offset}`);
  const { version: _v, tensorManifest: _m, ...state } = stored;
  return { state, tensors };
}
