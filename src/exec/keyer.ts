/** Builds a stage's key preimage from its definition, its params and the digests of what it reads. */
import { join } from 'node:path';
import type { StoredArtifact } from '../cache/blob-store.js';
import { at, type ArtifactSource, type GraphStage } from '../graph/build.js';
import { NodeUserError } from './node-contract.js';
import { nodeImplementationDigest } from './node-registry.js';
import { parseNodeParams } from './node-runner.js';
import { KEY_SCHEMA, stageKey, type KeyPreimage, type StageKey } from './stage-key.js';
import type { Workspace } from './workspace.js';

/** Upstream outputs known so far: from this run's results or the action cache. */
export type OutputLookup = (stageId: string, output: string) => StoredArtifact | undefined;

export type KeyOutcome =
  | { status: 'keyed'; key: StageKey; preimage: KeyPreimage; labels: Record<string, string>; inputs: Record<string, ResolvedArtifact[]> }
  /** Something it reads is not known yet (an upstream stage has to run first). */
  | { status: 'waiting'; on: string }
  /** Something it reads does not exist and nothing will produce it. */
  | { status: 'blocked'; reason: string };

export interface ResolvedArtifact extends StoredArtifact {
  source: ArtifactSource;
  label: string;
}

function labelOf(source: ArtifactSource): string {
  return source.kind === 'file' ? source.path : `${source.stageId}${source.output.includes('/') || source.output.includes('.') ? `:${source.output}` : `.${source.output}`}`;
}

export async function keyStage(ws: Workspace, gs: GraphStage, lookup: OutputLookup): Promise<KeyOutcome> {
  const { stage } = gs;
  const labels: Record<string, string> = {};
  const resolve = async (source: ArtifactSource): Promise<ResolvedArtifact | { waiting: string } | { missing: string }> => {
    if (source.kind === 'stage') {
      const out = lookup(source.stageId, source.output);
      return out ? { ...out, source, label: labelOf(source) } : { waiting: source.stageId };
    }
    try {
      const d = await ws.blobs.digestOf(join(ws.pipeline.dir, source.path));
      return { ...d, source, label: labelOf(source) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { missing: source.path };
      throw err;
    }
  };

  const deps: Record<string, string> = {};
  for (const dep of gs.deps) {
    const r = await resolve(dep.source);
    if ('waiting' in r) return { status: 'waiting', on: r.waiting };
    if ('missing' in r) return { status: 'blocked', reason: `dep ${r.missing} does not exist and no stage writes it` };
    deps[dep.path] = r.digest;
    labels[r.digest] = dep.source.kind === 'stage' ? `${dep.source.stageId}:${dep.path}` : dep.path;
  }
  const inputs: Record<string, string[]> = {};
  const resolvedInputs: Record<string, ResolvedArtifact[]> = {};
  for (const [name, sources] of Object.entries(gs.inputs)) {
    const list: ResolvedArtifact[] = [];
    for (const s of sources) {
      const r = await resolve(s);
      if ('waiting' in r) return { status: 'waiting', on: r.waiting };
      if ('missing' in r) return { status: 'blocked', reason: `input ${name}: ${r.missing} does not exist` };
      list.push(r);
      labels[r.digest] = r.label;
    }
    inputs[name] = list.map((r) => r.digest);
    resolvedInputs[name] = list;
  }

  let preimage: KeyPreimage;
  if (stage.kind === 'cmd') {
    preimage = { schema: KEY_SCHEMA, kind: 'cmd', cmd: stage.cmd, outs: gs.outputs, params: stage.params, deps, inputs };
  } else {
    const node = gs.node!;
    let params: Record<string, unknown>;
    try {
      params = parseNodeParams(node, stage.params) as Record<string, unknown>;
    } catch (err) {
      if (err instanceof NodeUserError) throw at(stage, ['params'], `stage "${stage.id}": ${err.message}`);
      throw err;
    }
    for (const v of node.volatileParams ?? []) delete params[v];
    preimage = {
      schema: KEY_SCHEMA, kind: 'node', node: node.name, nodeVersion: node.version,
      implementation: nodeImplementationDigest(node.name), params, deps, inputs,
    };
  }
  return { status: 'keyed', key: stageKey(preimage), preimage, labels, inputs: resolvedInputs };
}
