/**
 * Shared by the train/predict/export node tests: a small long-tailed Quick, Draw! problem cut by
 * the real data/quickdraw node from the shared data folder, and a way to run nodes on it.
 */
import { join } from 'node:path';
import type { InputArtifact, NodeDefinition } from '../../src/exec/node-contract.js';
import { runNodeInProcess, type NodeRunResult } from '../../src/exec/node-runner.js';
import quickdraw from '../../nodes/data/quickdraw.js';

import { quickdrawDir, scratchDir } from '../data/fixtures.js';

export { scratchDir };
export const CLASSES = ['apple', 'bicycle', 'eye', 'fish'];

export function artifact(path: string, producer: string, output: string): InputArtifact {
  return { path, digest: `test-${producer}-${output}`, producer, output };
}

export async function runNode(
  def: NodeDefinition,
  params: unknown,
  inputs: Record<string, InputArtifact[]>,
  opts: { tag: string; resumeDir?: string; signal?: AbortSignal; onEvent?: Parameters<typeof runNodeInProcess>[1]['onEvent'] },
): Promise<NodeRunResult> {
  const root = scratchDir(opts.tag);
  return runNodeInProcess(def, {
    stageId: opts.tag,
    params,
    inputs,
    outputRoot: join(root, 'out'),
    resumeDir: opts.resumeDir ?? join(root, 'resume'),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
  });
}

export interface Splits {
  train: InputArtifact;
  val: InputArtifact;
  test: InputArtifact;
}

/** Four classes, 120 → 30 training drawings (long-tailed), 10% validation, 50 test drawings per class. */
export async function smallLongTailed(): Promise<Splits> {
  const r = await runNode(
    quickdraw,
    {
      source: { type: 'dir', path: quickdrawDir },
      classes: CLASSES,
      test: { perClass: 50 },
      train: { profile: { type: 'linear', max: 120, min: 30 } },
      val: { fraction: 0.1 },
    },
    {},
    { tag: 'data' },
  );
  return {
    train: artifact(r.outputs.train!, 'data', 'train'),
    val: artifact(r.outputs.val!, 'data', 'val'),
    test: artifact(r.outputs.test!, 'data', 'test'),
  };
}

/** A CNN small enough to learn four classes in a few seconds on one core. */
export const tinyCnn = { arch: 'cnn', width: 0.25, depth: 2, bnMomentum: 0.9 } as const;
