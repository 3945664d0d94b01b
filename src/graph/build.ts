/**
 * The DAG: resolves every input reference and cmd dependency to the stage (or workspace file) that
 * provides it, checks the wiring against node port declarations, and rejects cycles with the
 * position of an edge on the cycle.
 */
import type { NodeDefinition } from '../exec/node-contract.js';
import { loadNode } from '../exec/node-registry.js';
import type { InputRef, Stage } from '../pipeline/stage.js';
import type { YamlPath } from '../pipeline/yaml-source.js';
import { DagUserError } from '../util/user-error.js';
import { didYouMean } from '../util/did-you-mean.js';
import { normalizeWorkspacePath, parentOf } from './workspace-path.js';

/** Where an artifact a stage consumes comes from. */
export type ArtifactSource =
  | { kind: 'stage'; stageId: string; /** node output name, or a cmd stage's out path */ output: string }
  | { kind: 'file'; path: string };

export interface GraphStage {
  stage: Stage;
  /** Loaded for node stages. */
  node?: NodeDefinition;
  inputs: Record<string, ArtifactSource[]>;
  /** cmd `deps` (and node `deps`), each a workspace file or a stage's out. */
  deps: { path: string; source: ArtifactSource }[];
  /** Output names: node outputs, or a cmd stage's normalized out paths. */
  outputs: string[];
  upstream: string[];
  downstream: string[];
}

export interface StageGraph {
  stages: Map<string, GraphStage>;
  /** Stage ids in a topological order (stable: file order among independent stages). */
  order: string[];
}

export async function buildGraph(stages: Stage[]): Promise<StageGraph> {
  const byId = new Map<string, GraphStage>();
  const variantsByName = new Map<string, Stage[]>();
  const nodeDefs = new Map<string, NodeDefinition>();
  for (const name of new Set(stages.filter((s) => s.kind === 'node').map((s) => (s as { node: string }).node))) {
    try {
      nodeDefs.set(name, await loadNode(name));
    } catch (err) {
      const first = stages.find((s) => s.kind === 'node' && s.node === name)!;
      if (err instanceof DagUserError) throw at(first, ['node'], err.message);
      throw err;
    }
  }
  for (const stage of stages) {
    if (byId.has(stage.id)) throw at(stage, [], `stage id "${stage.id}" is defined twice`);
    const node = stage.kind === 'node' ? nodeDefs.get(stage.node) : undefined;
    const outputs = stage.kind === 'node' ? Object.keys(node!.outputs) : stage.outs.map(normalizeWorkspacePath);
    byId.set(stage.id, { stage, ...(node ? { node } : {}), inputs: {}, deps: [], outputs, upstream: [], downstream: [] });
    const list = variantsByName.get(stage.name) ?? [];
    list.push(stage);
    variantsByName.set(stage.name, list);
  }

  // Out paths by owner, plus every ancestor directory of an out, so that overlap checks and
  // dep→out lookups walk a path's parents instead of scanning all outs (3,000-stage pipelines).
  const outOwners = new Map<string, string>();
  const outUnder = new Map<string, string>();
  const ownerOf = (path: string): [string, string] | undefined => {
    for (let p = path; ; p = parentOf(p)) {
      const owner = outOwners.get(p);
      if (owner) return [p, owner];
      if (!p.includes('/')) return undefined;
    }
  };
  for (const gs of byId.values()) {
    if (gs.stage.kind !== 'cmd') continue;
    for (const out of gs.outputs) {
      const outer = ownerOf(out);
      const innerOut = outUnder.get(out);
      if (outer || innerOut) {
        const [p, owner] = outer ?? [innerOut!, outOwners.get(innerOut!)!];
        throw at(gs.stage, ['outs'], `out "${out}" overlaps "${p}", an out of stage "${owner}"`);
      }
      outOwners.set(out, gs.stage.id);
      for (let p = out; p.includes('/'); ) {
        p = parentOf(p);
        outUnder.set(p, out);
      }
    }
  }

  // Edges as adjacency sets: graphlib (with lodash) is loaded only to name a cycle, since at every
  // start it would cost more than the rest of `status` on a small pipeline.
  const preds = new Map<string, Set<string>>();
  const succs = new Map<string, Set<string>>();
  for (const id of byId.keys()) {
    preds.set(id, new Set());
    succs.set(id, new Set());
  }
  const edgeWhere = new Map<string, { stage: Stage; path: YamlPath }>();
  const link = (from: string, to: GraphStage, path: YamlPath) => {
    if (from === to.stage.id) throw at(to.stage, path, `stage "${from}" consumes its own output`);
    const out = succs.get(from)!;
    if (!out.has(to.stage.id)) {
      out.add(to.stage.id);
      preds.get(to.stage.id)!.add(from);
      edgeWhere.set(`${from}->${to.stage.id}`, { stage: to.stage, path });
    }
  };

  for (const gs of byId.values()) {
    const { stage } = gs;
    if (stage.kind === 'node') {
      checkNodeInputs(stage, gs.node!);
      checkNodeParams(stage, gs.node!);
    }
    for (const [inputName, refs] of Object.entries(stage.inputs)) {
      const sources: ArtifactSource[] = [];
      for (const ref of refs) {
        for (const src of resolveRef(stage, ref, byId, variantsByName)) {
          sources.push(src);
          if (src.kind === 'stage') link(src.stageId, gs, ref.path);
        }
      }
      gs.inputs[inputName] = sources;
    }
    stage.deps.forEach((dep, i) => {
      const path = normalizeWorkspacePath(dep);
      const owner = ownerOf(path);
      if (owner) {
        gs.deps.push({ path, source: { kind: 'stage', stageId: owner[1], output: owner[0] } });
        link(owner[1], gs, ['deps', i]);
      } else {
        gs.deps.push({ path, source: { kind: 'file', path } });
      }
    });
  }

  const fileOrder = new Map(stages.map((s, i) => [s.id, i]));
  const order = stableTopsort(preds, succs, fileOrder);
  if (order.length < byId.size) await reportCycle(succs, edgeWhere);
  const byFileOrder = (a: string, b: string) => fileOrder.get(a)! - fileOrder.get(b)!;
  for (const id of order) {
    const gs = byId.get(id)!;
    gs.upstream = [...preds.get(id)!].sort(byFileOrder);
    gs.downstream = [...succs.get(id)!].sort(byFileOrder);
  }
  return { stages: byId, order };
}

async function reportCycle(succs: Map<string, Set<string>>, edgeWhere: Map<string, { stage: Stage; path: YamlPath }>): Promise<never> {
  const { default: graphlib } = await import('graphlib');
  const g = new graphlib.Graph({ directed: true });
  for (const [from, tos] of succs) for (const to of tos) g.setEdge(from, to);
  const cycle = graphlib.alg.findCycles(g)[0]!;
  // findCycles lists a cycle's nodes in reverse edge order; walk it forwards for the message.
  const ordered = [...cycle].reverse();
  const from = ordered[0]!;
  const to = ordered[1 % ordered.length]!;
  const where = edgeWhere.get(`${from}->${to}`) ?? edgeWhere.get(`${to}->${from}`)!;
  throw at(where.stage, where.path, `cycle: ${[...ordered, ordered[0]].join(' → ')}`);
}

/** Kahn's algorithm taking ready stages in file order, so `graph` and runs list stages predictably. */
function stableTopsort(preds: Map<string, Set<string>>, succs: Map<string, Set<string>>, fileOrder: Map<string, number>): string[] {
  const indegree = new Map([...preds].map(([n, p]) => [n, p.size]));
  const byFileOrder = (a: string, b: string) => fileOrder.get(a)! - fileOrder.get(b)!;
  // A min-heap would be asymptotically better; ready sets are small and mostly arrive in order.
  const ready = [...indegree].filter(([, d]) => d === 0).map(([n]) => n).sort(byFileOrder);
  const order: string[] = [];
  for (let i = 0; i < ready.length; i++) {
    const n = ready[i]!;
    order.push(n);
    const released: string[] = [];
    for (const s of succs.get(n)!) {
      const d = indegree.get(s)! - 1;
      indegree.set(s, d);
      if (d === 0) released.push(s);
    }
    if (released.length) {
      const rest = ready.splice(i + 1).concat(released).sort(byFileOrder);
      ready.push(...rest);
    }
  }
  return order;
}

function checkNodeInputs(stage: Stage & { kind: 'node' }, node: NodeDefinition): void {
  const declared = Object.keys(node.inputs);
  for (const name of Object.keys(stage.inputs)) {
    if (!node.inputs[name]) {
      throw at(stage, ['inputs', name], `node ${node.name} has no input "${name}"${didYouMean(name, declared)} (inputs: ${declared.join(', ') || 'none'})`);
    }
  }
  for (const [name, port] of Object.entries(node.inputs)) {
    if (!port.optional && !(name in stage.inputs)) throw at(stage, ['inputs'], `node ${node.name} needs input "${name}" (${port.description})`);
  }
}

/** Params are validated when the graph is built, so `status` reports a bad param of any stage. */
function checkNodeParams(stage: Stage & { kind: 'node' }, node: NodeDefinition): void {
  // A misspelt param would otherwise be stripped silently by a non-strict object schema.
  const shape = (node.params as unknown as { shape?: Record<string, unknown> }).shape;
  if (shape) {
    for (const key of Object.keys(stage.params)) {
      if (!(key in shape)) throw at(stage, ['params', key], `node ${node.name} has no param "${key}"${didYouMean(key, Object.keys(shape))}`, 'key');
    }
  }
  const r = node.params.safeParse(stage.params);
  if (r.success) return;
  const issue = r.error.issues[0]!;
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    throw at(stage, ['params', ...path, key], `node ${node.name} has no param "${[...path, key].join('.')}"`, 'key');
  }
  throw at(stage, ['params', ...path], `stage "${stage.id}": invalid param ${path.join('.') || '(params)'}: ${issue.message}`);
}

function resolveRef(stage: Stage, ref: InputRef, byId: Map<string, GraphStage>, variantsByName: Map<string, Stage[]>): ArtifactSource[] {
  if (ref.kind === 'file') return [{ kind: 'file', path: normalizeWorkspacePath(ref.file) }];
  const variants = variantsByName.get(ref.stage);
  if (!variants) throw at(stage, ref.path, `unknown stage "${ref.stage}" in "${ref.text}"${didYouMean(ref.stage, variantsByName.keys())}`);
  let producers: GraphStage[];
  if (ref.variant === '*') {
    producers = variants.map((v) => byId.get(v.id)!);
  } else if (ref.variant !== undefined) {
    const id = `${ref.stage}@${ref.variant}`;
    const p = byId.get(id);
    if (!p) throw at(stage, ref.path, `stage "${ref.stage}" has no variant "${ref.variant}"${didYouMean(ref.variant, variants.map((v) => v.variant ?? ''))}`);
    producers = [p];
  } else {
    if (variants.length > 1 || variants[0]!.variant !== undefined) {
      throw at(stage, ref.path, `stage "${ref.stage}" has variants (${variants.map((v) => v.id).slice(0, 4).join(', ')}…): write ${ref.stage}.*${ref.output ? `.${ref.output}` : ''} for all or ${ref.stage}@${variants[0]!.variant}${ref.output ? `.${ref.output}` : ''} for one`);
    }
    producers = [byId.get(variants[0]!.id)!];
  }
  return producers.flatMap((p): ArtifactSource[] => {
    if (p.stage.kind === 'cmd') {
      if (ref.output && ref.output !== 'outs') throw at(stage, ref.path, `cmd stage "${p.stage.id}" has no named outputs; write ${ref.stage}${ref.variant ? (ref.variant === '*' ? '.*' : `@${ref.variant}`) : ''}.outs`);
      if (p.outputs.length === 0) throw at(stage, ref.path, `cmd stage "${p.stage.id}" declares no outs to consume`);
      return p.outputs.map((out) => ({ kind: 'stage', stageId: p.stage.id, output: out }));
    }
    const outs = p.outputs;
    let output = ref.output;
    if (!output) {
      if (outs.length !== 1) throw at(stage, ref.path, `stage "${p.stage.id}" has outputs ${outs.join(', ')}: name one, e.g. ${ref.text}.${outs[0]}`);
      output = outs[0]!;
    }
    if (!outs.includes(output)) throw at(stage, ref.path, `stage "${p.stage.id}" (${p.node!.name}) has no output "${output}"${didYouMean(output, outs)} (outputs: ${outs.join(', ')})`);
    return [{ kind: 'stage', stageId: p.stage.id, output }];
  });
}

export function at(stage: Stage, path: YamlPath, message: string, where: 'value' | 'key' = 'value'): DagUserError {
  return stage.origin.source.error(message, [...stage.origin.path, ...path], where);
}

/** Stages to consider for `--target` (with what they need) and `--downstream` (and what follows). */
export function selectStages(graph: StageGraph, targets: string[], downstream: boolean): Set<string> {
  if (targets.length === 0) return new Set(graph.order);
  const seeds = new Set<string>();
  const names = new Map<string, string[]>();
  for (const gs of graph.stages.values()) names.set(gs.stage.name, [...(names.get(gs.stage.name) ?? []), gs.stage.id]);
  for (const t of targets) {
    const ids = graph.stages.has(t) ? [t] : names.get(t);
    if (!ids) throw new DagUserError(`unknown stage "${t}"${didYouMean(t, [...graph.stages.keys(), ...names.keys()])}`);
    ids.forEach((id) => seeds.add(id));
  }
  const selected = new Set<string>();
  const walk = (id: string, dir: 'upstream' | 'downstream') => {
    if (selected.has(id) && dir === 'upstream') return;
    selected.add(id);
    for (const next of graph.stages.get(id)![dir]) walk(next, dir);
  };
  const roots = new Set(seeds);
  if (downstream) {
    const down = new Set<string>();
    const visit = (id: string) => {
      if (down.has(id)) return;
      down.add(id);
      graph.stages.get(id)!.downstream.forEach(visit);
    };
    seeds.forEach(visit);
    down.forEach((id) => roots.add(id));
  }
  roots.forEach((id) => walk(id, 'upstream'));
  return selected;
}
