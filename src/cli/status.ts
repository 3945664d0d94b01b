import { selectStages } from '../graph/build.js';
import { planStages } from '../exec/plan.js';
import { openWorkspace } from '../exec/workspace.js';
import type { PipelineFlags } from './main.js';
import type { StagePlanEntry } from '../exec/events.js';

const LABEL = { cached: 'cached', 'will-run': 'will run', blocked: 'blocked' } as const;

export async function statusCommand(file: string, flags: PipelineFlags & { target?: string[]; json?: boolean }): Promise<number> {
  const ws = await openWorkspace(file, { cache: flags.cache, overrides: { set: flags.set, paramFiles: flags.params } });
  const plan = await planStages(ws, selectStages(ws.graph, flags.target ?? [], false), false);
  ws.stats.save();
  if (flags.json) {
    process.stdout.write(JSON.stringify(plan.map(({ result: _r, ...p }) => p), null, 2) + '\n');
    return 0;
  }
  process.stdout.write(formatPlan(plan) + '\n');
  return 0;
}

/** One line per stage with its state and reasons, then the counts (status, run --dry-run). */
export function formatPlan(plan: StagePlanEntry[]): string {
  const width = Math.min(40, Math.max(...plan.map((p) => p.stageId.length), 5));
  const lines = plan.map((p) => `${LABEL[p.state].padEnd(9)} ${p.stageId.padEnd(width)}  ${p.reasons.join('; ')}`.trimEnd());
  const count = (s: string) => plan.filter((p) => p.state === s).length;
  lines.push(`${plan.length} stages: ${count('cached')} cached, ${count('will-run')} will run, ${count('blocked')} blocked`);
  return lines.join('\n');
}
