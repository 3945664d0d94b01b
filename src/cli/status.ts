/**
 * `dag status`: what would run, and why. An unchanged pipeline's status is read back from a plan
 * snapshot (plan-snapshot.ts) without loading the pipeline machinery at all.
 */
import { dirname, resolve } from 'node:path';
import { defaultCacheDir } from '../cache/layout.js';
import type { StagePlanEntry } from '../exec/events.js';
import { readSnapshot, snapshotPath, witnessEngineModules, writeSnapshot, type SnapshotEntry } from '../exec/plan-snapshot.js';
import { findProjectRoot } from '../exec/project-root.js';
import { startWitnessing, stopWitnessing } from '../exec/read-witness.js';
import type { PipelineFlags } from './main.js';

const LABEL = { cached: 'cached', 'will-run': 'will run', blocked: 'blocked' } as const;

export async function statusCommand(file: string, flags: PipelineFlags & { target?: string[]; json?: boolean }): Promise<number> {
  const cacheRoot = defaultCacheDir(findProjectRoot(dirname(resolve(file))), flags.cache);
  const snapPath = snapshotPath({ pipeline: file, set: flags.set ?? [], paramFiles: flags.params ?? [], targets: flags.target ?? [], cacheRoot });
  const plan = readSnapshot(snapPath) ?? (await computePlan(file, flags, snapPath));
  if (flags.json) {
    process.stdout.write(JSON.stringify(plan, null, 2) + '\n');
    return 0;
  }
  process.stdout.write(formatPlan(plan) + '\n');
  return 0;
}

async function computePlan(file: string, flags: PipelineFlags & { target?: string[] }, snapPath: string): Promise<SnapshotEntry[]> {
  const [{ openWorkspace }, { planStages }, { selectStages }] = await Promise.all([
    import('../exec/workspace.js'), import('../exec/plan.js'), import('../graph/build.js'),
  ]);
  const facts = startWitnessing();
  try {
    witnessEngineModules();
    const ws = await openWorkspace(file, { cache: flags.cache, overrides: { set: flags.set, paramFiles: flags.params } });
    const planned = await planStages(ws, selectStages(ws.graph, flags.target ?? [], false), false);
    const plan = planned.map(({ result: _r, ...p }) => p);
    stopWitnessing();
    ws.stats.save();
    writeSnapshot(snapPath, facts, plan);
    return plan;
  } finally {
    stopWitnessing();
  }
}

/** One line per stage with its state and reasons, then the counts (status, run --dry-run). */
export function formatPlan(plan: StagePlanEntry[]): string {
  const width = Math.min(40, Math.max(...plan.map((p) => p.stageId.length), 5));
  const lines = plan.map((p) => `${LABEL[p.state].padEnd(9)} ${p.stageId.padEnd(width)}  ${p.reasons.join('; ')}`.trimEnd());
  const count = (s: string) => plan.filter((p) => p.state === s).length;
  lines.push(`${plan.length} stages: ${count('cached')} cached, ${count('will-run')} will run, ${count('blocked')} blocked`);
  return lines.join('\n');
}
