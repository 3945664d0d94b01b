/**
 * Reads a pipeline file with its `extends` base and `include` fragments, applies command-line
 * overrides, and validates the result. Each stage remembers the file and YAML path it came from so
 * that later errors point at the right line even after merging.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYamlValue } from 'yaml';
import type { z } from 'zod';
import { DagUserError } from '../util/user-error.js';
import { didYouMean } from '../util/did-you-mean.js';
import { cmdStageSchema, nodeStageSchema, pipelineFileSchema, type RawStage } from './schema.js';
import { displayPathOf, YamlSource, type YamlPath } from './yaml-source.js';

export interface StageOrigin {
  source: YamlSource;
  /** YAML path of the stage's mapping in `source`, e.g. ['stages', 'train']. */
  path: YamlPath;
}

export interface LoadedStage {
  name: string;
  raw: RawStage;
  origin: StageOrigin;
}

export interface LoadedPipeline {
  /** The file the user named. */
  source: YamlSource;
  /** Directory that relative paths (deps, outs, include) and commands are resolved against. */
  dir: string;
  params: Record<string, unknown>;
  stages: LoadedStage[];
}

export interface Overrides {
  /** `--set a.b=value` entries, value typed by YAML. */
  set?: string[];
  /** `--params file.yaml` files, merged in order. */
  paramFiles?: string[];
}

interface Layer {
  params: Record<string, unknown>;
  stages: Map<string, LoadedStage | null>;
}

const STAGE_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function loadPipeline(file: string, overrides: Overrides = {}): LoadedPipeline {
  const abs = resolve(file);
  const { layer, source: root } = loadLayer(abs, []);
  for (const pf of overrides.paramFiles ?? []) {
    const src = YamlSource.read(resolve(pf));
    if (!isPlainObject(src.value)) throw src.error('a params file must be a mapping of param names to values', []);
    layer.params = deepMerge(layer.params, src.value);
  }
  for (const assignment of overrides.set ?? []) applySet(layer, assignment);
  const stages = [...layer.stages.values()].filter((s): s is LoadedStage => s !== null);
  for (const stage of stages) validateStage(stage);
  return { source: root, dir: dirname(abs), params: layer.params, stages };
}

function loadLayer(abs: string, chain: string[]): { layer: Layer; source: YamlSource } {
  if (chain.includes(abs)) {
    throw new DagUserError(`include/extends cycle: ${[...chain, abs].map(displayPathOf).join(' → ')}`);
  }
  const source = YamlSource.read(abs);
  const value = source.value ?? {};
  if (!isPlainObject(value)) throw source.error('a pipeline file must be a mapping with params, stages, include or extends', []);
  checkTopLevel(source, value);
  const file = value as z.infer<typeof pipelineFileSchema>;
  const here = dirname(abs);
  let layer: Layer = { params: {}, stages: new Map() };
  if (file.extends !== undefined) {
    layer = loadLayer(resolveRelative(source, here, file.extends, ['extends']), [...chain, abs]).layer;
  }
  (file.include ?? []).forEach((inc, i) => {
    const fragment = loadLayer(resolveRelative(source, here, inc, ['include', i]), [...chain, abs]).layer;
    mergeLayer(layer, fragment);
  });
  const own: Layer = { params: (file.params as Record<string, unknown>) ?? {}, stages: new Map() };
  for (const [name, raw] of Object.entries(file.stages ?? {})) {
    if (!STAGE_NAME.test(name)) {
      throw source.error(`invalid stage name "${name}": use letters, digits, _ and -, starting with a letter or _`, ['stages', name], 'key');
    }
    own.stages.set(name, raw === null ? null : { name, raw: raw as RawStage, origin: { source, path: ['stages', name] } });
  }
  mergeLayer(layer, own);
  return { layer, source };
}

function resolveRelative(source: YamlSource, dir: string, rel: string, path: YamlPath): string {
  const abs = resolve(dir, rel);
  if (!existsSync(abs)) throw source.error(`${path[0]} file not found: ${rel}`, path);
  return abs;
}

/** `over` wins: params deep-merged; a stage is replaced when it names cmd/node, else merged field-wise. */
function mergeLayer(base: Layer, over: Layer): void {
  base.params = deepMerge(base.params, over.params);
  for (const [name, stage] of over.stages) {
    const prev = base.stages.get(name);
    if (stage === null) {
      base.stages.delete(name);
    } else if (prev && !('cmd' in stage.raw) && !('node' in stage.raw)) {
      base.stages.set(name, { name, raw: deepMerge(prev.raw, stage.raw) as RawStage, origin: stage.origin });
    } else {
      base.stages.set(name, stage);
    }
  }
}

function checkTopLevel(source: YamlSource, value: Record<string, unknown>): void {
  const known = Object.keys(pipelineFileSchema.shape);
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) throw source.error(`unknown field "${key}"${didYouMean(key, known)}`, [key], 'key');
  }
  const shallow = pipelineFileSchema.pick({ params: true, include: true, extends: true });
  const r = shallow.safeParse({ params: value.params, include: value.include, extends: value.extends });
  if (!r.success) throw zodToUserError(r.error, source, []);
  if (value.stages !== undefined && value.stages !== null && !isPlainObject(value.stages)) {
    throw source.error('stages must be a mapping of stage names to stages', ['stages']);
  }
}

export function validateStage(stage: LoadedStage): void {
  const { source, path } = stage.origin;
  const raw = stage.raw as unknown;
  if (!isPlainObject(raw)) throw source.error(`stage "${stage.name}" must be a mapping`, path);
  const hasCmd = 'cmd' in raw;
  const hasNode = 'node' in raw;
  if (hasCmd && hasNode) throw source.error(`stage "${stage.name}" has both cmd and node; a stage is one or the other`, [...path, 'node'], 'key');
  if (!hasCmd && !hasNode) {
    const keys = Object.keys(raw);
    const hint = keys.map((k) => didYouMean(k, ['cmd', 'node'])).find((h) => h) ?? '';
    throw source.error(`stage "${stage.name}" needs "cmd" (a command) or "node" (a built-in node)${hint}`, path);
  }
  const schema = hasCmd ? cmdStageSchema : nodeStageSchema;
  const r = schema.safeParse(raw);
  if (!r.success) throw zodToUserError(r.error, source, path, Object.keys(schema.shape));
}

/** The first zod issue as a positioned user error; unknown keys get a "did you mean". */
export function zodToUserError(error: z.ZodError, source: YamlSource, prefix: YamlPath, knownKeys: string[] = []): DagUserError {
  const issue = error.issues[0]!;
  const path = [...prefix, ...(issue.path as (string | number)[])];
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    return source.error(`unknown field "${key}"${didYouMean(key, knownKeys)}`, [...path, key], 'key');
  }
  const field = issue.path.length ? `${issue.path.join('.')}: ` : '';
  return source.error(`${field}${issue.message}`, path);
}

function applySet(layer: Layer, assignment: string): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new DagUserError(`--set expects path=value, got "${assignment}"`);
  const path = assignment.slice(0, eq).split('.');
  let value: unknown;
  try {
    value = parseYamlValue(assignment.slice(eq + 1));
  } catch {
    value = assignment.slice(eq + 1);
  }
  if (path[0] === 'stages' && path.length >= 3) {
    const stage = layer.stages.get(path[1]!);
    if (!stage) {
      throw new DagUserError(`--set ${assignment}: no stage "${path[1]}"${didYouMean(path[1]!, [...layer.stages.keys()])}`);
    }
    stage.raw = setPath(stage.raw as Record<string, unknown>, path.slice(2), value) as RawStage;
    return;
  }
  const paramPath = path[0] === 'params' ? path.slice(1) : path;
  if (!(paramPath[0]! in layer.params)) {
    throw new DagUserError(`--set ${assignment}: no param "${paramPath[0]}"${didYouMean(paramPath[0]!, Object.keys(layer.params))}`);
  }
  layer.params = setPath(layer.params, paramPath, value);
}

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> {
  const [head, ...rest] = path;
  const copy = { ...obj };
  copy[head!] = rest.length === 0 ? value : setPath(isPlainObject(copy[head!]) ? (copy[head!] as Record<string, unknown>) : {}, rest, value);
  return copy;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Objects merge key by key; anything else (arrays included) is replaced by `over`. */
export function deepMerge<T>(base: T, over: unknown): T {
  if (!isPlainObject(base) || !isPlainObject(over)) return (over === undefined ? base : over) as T;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in out ? deepMerge(out[k], v) : v;
  return out as T;
}
