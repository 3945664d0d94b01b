/**
 * Runs one built-in node in the current process: validates params, prepares output directories and
 * hands the node its context. The stage worker process uses it, and so do tests of single nodes,
 * which is why it knows nothing of stores or keys.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type {
  InputArtifact,
  MetricValue,
  NodeContext,
  NodeDefinition,
  ProgressUpdate,
} from './node-contract.js';
import { NodeUserError } from './node-contract.js';

export type NodeEvent =
  | { type: 'progress'; update: ProgressUpdate }
  | { type: 'log'; line: string }
  | { type: 'metrics'; values: Record<string, MetricValue> };

export interface NodeRunOptions {
  stageId?: string;
  params: unknown;
  inputs: Record<string, InputArtifact[]>;
  /** Each output `name` is written to `<outputRoot>/<name>`; the directory is emptied first. */
  outputRoot: string;
  resumeDir: string;
  signal?: AbortSignal;
  devices?: { cpuSlots: number; gpuIds: number[] };
  onEvent?: (event: NodeEvent) => void;
}

export interface NodeRunResult {
  outputs: Record<string, string>;
  metrics: Record<string, MetricValue>;
  provenance: Record<string, string>;
}

/** Validates raw params against a node's schema; the message lists every bad field. */
export function parseNodeParams<D extends NodeDefinition>(def: D, raw: unknown): unknown {
  const parsed = def.params.safeParse(raw ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((i) => `${i.path.length ? i.path.join('.') : '(params)'}: ${i.message}`)
      .join('; ');
    throw new NodeUserError(`invalid params for node ${def.name}: ${issues}`);
  }
  return parsed.data;
}

export async function runNodeInProcess(def: NodeDefinition, opts: NodeRunOptions): Promise<NodeRunResult> {
  const params = parseNodeParams(def, opts.params);
  for (const [name, port] of Object.entries(def.inputs)) {
    const given = opts.inputs[name] ?? [];
    if (given.length === 0 && !port.optional) throw new NodeUserError(`node ${def.name} needs input "${name}"`);
    if (given.length > 1 && !port.many) {
      throw new NodeUserError(`node ${def.name} input "${name}" takes one artifact, got ${given.length}`);
    }
  }
  for (const name of Object.keys(opts.inputs)) {
    if (!(name in def.inputs)) {
      const known = Object.keys(def.inputs).join(', ') || '(none)';
      throw new NodeUserError(`node ${def.name} has no input "${name}" (inputs: ${known})`);
    }
  }
  const outputs: Record<string, string> = {};
  for (const name of Object.keys(def.outputs)) {
    const dir = join(opts.outputRoot, name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    outputs[name] = dir;
  }
  mkdirSync(opts.resumeDir, { recursive: true });
  const metrics: Record<string, MetricValue> = {};
  const provenance: Record<string, string> = {};
  const emit = opts.onEvent ?? (() => {});
  const ctx: NodeContext<unknown> = {
    params,
    stageId: opts.stageId ?? def.name,
    inputs: (name) => {
      if (!(name in def.inputs)) throw new Error(`node ${def.name} reads undeclared input "${name}"`);
      return opts.inputs[name] ?? [];
    },
    input: (name) => {
      const all = ctx.inputs(name);
      if (all.length !== 1) throw new NodeUserError(`node ${def.name} input "${name}" needs exactly one artifact, got ${all.length}`);
      return all[0]!;
    },
    outputDir: (name) => {
      const dir = outputs[name];
      if (!dir) throw new Error(`node ${def.name} writes undeclared output "${name}"`);
      return dir;
    },
    progress: (update) => emit({ type: 'progress', update }),
    metrics: (values) => {
      Object.assign(metrics, values);
      emit({ type: 'metrics', values });
    },
    log: (line) => emit({ type: 'log', line }),
    signal: opts.signal ?? new AbortController().signal,
    resumeDir: opts.resumeDir,
    devices: opts.devices ?? { cpuSlots: 1, gpuIds: [] },
    provenance: (values) => Object.assign(provenance, values),
  };
  await def.run(ctx as NodeContext<never>);
  return { outputs, metrics, provenance };
}
