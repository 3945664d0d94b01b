/**
 * What a run would do, without doing it: each selected stage as cached, will run or blocked, with
 * reasons in words. `dag status`, `dag run --dry-run` and the run's opening event use it.
 */
import { join } from 'node:path';
import type { ActionResult } from '../cache/action-cache.js';
import type { StoredArtifact } from '../cache/blob-store.js';
import type { StagePlanEntry } from './events.js';
import { keyStage } from './keyer.js';
import { diffPreimages, type StageKey } from './stage-key.js';
import type { Workspace } from './workspace.js';

export interface PlannedStage extends StagePlanEntry {
  key?: StageKey;
  result?: ActionResult;
}

export type ForceSpec = boolean | Set<string>;

export function isForced(force: ForceSpec, stageId: string, name: string): boolean {
  return force === true || (force instanceof Set && (force.has(stageId) || force.has(name)));
}

/** Why a stage whose key is not in the cache will run (against its last key), and how long its previous result took (for ETAs). */
export function explainMiss(ws: Workspace, stageId: string, preimage: Parameters<typeof diffPreimages>[1], labels: Record<string, string>): { reasons: string[]; lastDurationMs?: number } {
  const lastKey = ws.index.last(stageId);
  if (!lastKey) return { reasons: ['never run'] };
  const last = ws.actions.get(lastKey);
  if (last.status !== 'hit') return { reasons: ['never run (previous result no longer in the cache)'] };
  const changes = diffPreimages(last.result.preimage, preimage, { ...last.result.inputLabels, ...labels });
  return {
    reasons: changes.length ? changes.map((c) => c.reason) : ['previous result no longer in the cache'],
    lastDurationMs: last.result.durationMs,
  };
}

export async function planStages(ws: Workspace, selected: Set<string>, force: ForceSpec): Promise<PlannedStage[]> {
  const planned = new Map<string, PlannedStage>();
  const lookup = (stageId: string, output: string): StoredArtifact | undefined => {
    const p = planned.get(stageId);
    return p?.state === 'cached' ? p.result?.outputs[output] : undefined;
  };
  for (const id of ws.graph.order) {
    if (!selected.has(id)) continue;
    const gs = ws.graph.stages.get(id)!;
    const entry: PlannedStage = { stageId: id, kind: gs.stage.kind === 'cmd' ? 'cmd' : gs.stage.node, needs: gs.upstream, state: 'will-run', reasons: [] };
    planned.set(id, entry);
    const blockedBy = gs.upstream.find((u) => planned.get(u)?.state === 'blocked');
    if (blockedBy) {
      entry.state = 'blocked';
      entry.reasons = [`needs ${blockedBy}, which is blocked`];
      continue;
    }
    const keyed = await keyStage(ws, gs, lookup);
    if (keyed.status === 'blocked') {
      entry.state = 'blocked';
      entry.reasons = [keyed.reason];
      continue;
    }
    if (keyed.status === 'waiting') {
      entry.reasons = [`upstream ${keyed.on} will run`];
      if (isForced(force, id, gs.stage.name)) entry.reasons.unshift('forced');
      continue;
    }
    entry.key = keyed.key;
    if (isForced(force, id, gs.stage.name)) {
      entry.reasons = ['forced'];
      continue;
    }
    const hit = ws.actions.get(keyed.key);
    if (hit.status === 'corrupt') {
      entry.reasons = [`cache entry corrupt (${hit.reason})`];
      continue;
    }
    if (hit.status === 'miss') {
      const miss = explainMiss(ws, id, keyed.preimage, keyed.labels);
      entry.reasons = miss.reasons;
      if (miss.lastDurationMs !== undefined) entry.expectedMs = miss.lastDurationMs;
      continue;
    }
    const missing = Object.entries(hit.result.outputs).find(([, o]) => !ws.blobs.has(o.digest));
    if (missing) {
      entry.reasons = [`output ${missing[0]} missing from the cache`];
      continue;
    }
    entry.state = 'cached';
    entry.result = hit.result;
    entry.expectedMs = hit.result.durationMs;
    if (gs.stage.kind === 'cmd') {
      const stale = await staleOuts(ws, hit.result);
      if (stale.length) entry.reasons = [`will restore ${stale.join(', ')} from the cache`];
    }
  }
  return [...planned.values()];
}

/** Workspace outs of a cached cmd stage that differ from (or lack) the cached content. */
export async function staleOuts(ws: Workspace, result: ActionResult): Promise<string[]> {
  const stale: string[] = [];
  for (const [out, artifact] of Object.entries(result.outputs)) {
    try {
      const d = await ws.blobs.digestOf(join(ws.pipeline.dir, out));
      if (d.digest !== artifact.digest) stale.push(out);
    } catch {
      stale.push(out);
    }
  }
  return stale;
}
