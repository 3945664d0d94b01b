import { selectStages } from '../graph/build.js';
import { keyStage } from '../exec/keyer.js';
import { planStages } from '../exec/plan.js';
import { diffPreimages } from '../exec/stage-key.js';
import { openWorkspace } from '../exec/workspace.js';
import { canonicalJson } from '../cache/hash.js';
import { DagUserError } from '../util/user-error.js';
import { didYouMean } from '../util/did-you-mean.js';
import type { PipelineFlags } from './main.js';

export async function whyCommand(file: string, stageId: string, flags: PipelineFlags): Promise<number> {
  const ws = await openWorkspace(file, { cache: flags.cache, overrides: { set: flags.set, paramFiles: flags.params } });
  const gs = ws.graph.stages.get(stageId);
  if (!gs) throw new DagUserError(`unknown stage "${stageId}"${didYouMean(stageId, ws.graph.stages.keys())}`);
  const plan = await planStages(ws, selectStages(ws.graph, [stageId], false), false);
  const byId = new Map(plan.map((p) => [p.stageId, p]));
  const keyed = await keyStage(ws, gs, (id, out) => byId.get(id)?.result?.outputs[out]);
  const out: string[] = [];
  if (keyed.status === 'blocked') out.push(`${stageId}: blocked: ${keyed.reason}`);
  else if (keyed.status === 'waiting') out.push(`${stageId}: will run: upstream ${keyed.on} will run first, so the inputs it produces are not known yet`);
  else {
    const lastKey = ws.index.last(stageId);
    const last = lastKey ? ws.actions.get(lastKey) : undefined;
    out.push(`${stageId}: current key ${keyed.key.slice(0, 16)}${ws.actions.has(keyed.key) ? ' (cached)' : ' (not cached)'}`);
    if (!lastKey || last?.status !== 'hit') out.push(lastKey ? `last key ${lastKey.slice(0, 16)} is no longer in the cache` : 'never run: no earlier key to compare with');
    else if (lastKey === keyed.key) out.push(`same as the last run (${last.result.createdAt}); nothing changed`);
    else {
      out.push(`last key    ${lastKey.slice(0, 16)} (${last.result.createdAt})`);
      for (const c of diffPreimages(last.result.preimage, keyed.preimage, { ...last.result.inputLabels, ...keyed.labels })) {
        out.push(`  ${c.field}:`, `    - ${canonicalJson(c.before)}`, `    + ${canonicalJson(c.after)}`, `    (${c.reason})`);
      }
    }
  }
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}
