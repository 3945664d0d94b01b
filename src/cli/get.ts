/** `dag get PIPELINE STAGE[.OUTPUT] DEST`: copies a cached output out of the store (like `dvc get`). */
import { resolve } from 'node:path';
import { selectStages } from '../graph/build.js';
import { planStages } from '../exec/plan.js';
import { openWorkspace } from '../exec/workspace.js';
import { DagUserError } from '../util/user-error.js';
import { didYouMean } from '../util/did-you-mean.js';
import type { PipelineFlags } from './main.js';

export async function getCommand(file: string, ref: string, dest: string, flags: PipelineFlags): Promise<number> {
  const ws = await openWorkspace(file, { cache: flags.cache, overrides: { set: flags.set, paramFiles: flags.params } });
  const dot = ref.lastIndexOf('.');
  let stageId = ref;
  let output: string | undefined;
  if (!ws.graph.stages.has(ref) && dot > 0) {
    stageId = ref.slice(0, dot);
    output = ref.slice(dot + 1);
  }
  const gs = ws.graph.stages.get(stageId);
  if (!gs) throw new DagUserError(`unknown stage "${stageId}"${didYouMean(stageId, ws.graph.stages.keys())}`);
  const plan = await planStages(ws, selectStages(ws.graph, [stageId], false), false);
  const entry = plan.find((p) => p.stageId === stageId)!;
  if (entry.state !== 'cached' || !entry.result) throw new DagUserError(`stage "${stageId}" is not cached (${entry.reasons.join('; ')}); run it first`);
  const outputs = Object.keys(entry.result.outputs);
  output ??= outputs.length === 1 ? outputs[0] : undefined;
  if (!output || !entry.result.outputs[output]) {
    throw new DagUserError(`stage "${stageId}" has outputs ${outputs.join(', ')}: name one as ${stageId}.<output>${output ? didYouMean(output, outputs) : ''}`);
  }
  await ws.blobs.restore(entry.result.outputs[output]!, resolve(dest));
  process.stdout.write(`${stageId}.${output} → ${dest}\n`);
  return 0;
}
