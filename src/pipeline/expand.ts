/** foreach / matrix expansion and interpolation: loaded stages → concrete stages. */
import { DagUserError } from '../util/user-error.js';
import { didYouMean } from '../util/did-you-mean.js';
import { interpolateDeep, interpolateString, InterpolationError, type InterpolationScope } from './interpolate.js';
import { isPlainObject, type LoadedPipeline, type LoadedStage } from './load.js';
import type { RawCmdStage, RawNodeStage } from './schema.js';
import type { InputRef, Stage } from './stage.js';
import type { YamlPath } from './yaml-source.js';

interface Variant {
  suffix?: string;
  scope: InterpolationScope;
}

export function expandStages(pipeline: LoadedPipeline): Stage[] {
  const out: Stage[] = [];
  for (const loaded of pipeline.stages) {
    for (const variant of variantsOf(loaded, pipeline.params)) {
      out.push(concreteStage(loaded, variant, pipeline.params));
    }
  }
  return out;
}

function fail(loaded: LoadedStage, err: unknown): never {
  if (err instanceof InterpolationError) throw loaded.origin.source.error(err.message, [...loaded.origin.path, ...err.path]);
  throw err;
}

function variantsOf(loaded: LoadedStage, params: Record<string, unknown>): Variant[] {
  const raw = loaded.raw;
  const { source, path } = loaded.origin;
  if (raw.foreach !== undefined && raw.matrix !== undefined) {
    throw source.error(`stage "${loaded.name}" has both foreach and matrix; use one`, [...path, 'matrix'], 'key');
  }
  if (raw.foreach !== undefined) {
    let items: unknown;
    try {
      items = interpolateDeep(raw.foreach, { params }, ['foreach']);
    } catch (err) {
      fail(loaded, err);
    }
    if (Array.isArray(items)) {
      if (items.length === 0) throw source.error(`foreach of stage "${loaded.name}" is empty`, [...path, 'foreach']);
      const scalar = items.every((i) => typeof i !== 'object' || i === null);
      const suffixes = items.map((item, i) => (scalar ? String(item) : String(i)));
      checkUnique(loaded, suffixes, 'foreach');
      return items.map((item, i) => ({ suffix: suffixes[i], scope: { params, item } }));
    }
    if (isPlainObject(items)) {
      return Object.entries(items).map(([key, item]) => ({ suffix: key, scope: { params, item, key } }));
    }
    throw source.error(`foreach of stage "${loaded.name}" must be a list or a mapping, got ${typeof items}`, [...path, 'foreach']);
  }
  if (raw.matrix !== undefined) {
    const axes: [string, unknown[]][] = [];
    for (const [axis, values] of Object.entries(raw.matrix)) {
      let list: unknown;
      try {
        list = interpolateDeep(values, { params }, ['matrix', axis]);
      } catch (err) {
        fail(loaded, err);
      }
      if (!Array.isArray(list) || list.length === 0) {
        throw source.error(`matrix axis "${axis}" of stage "${loaded.name}" must be a non-empty list`, [...path, 'matrix', axis]);
      }
      axes.push([axis, list]);
    }
    let combos: Record<string, unknown>[] = [{}];
    for (const [axis, values] of axes) combos = combos.flatMap((c) => values.map((v) => ({ ...c, [axis]: v })));
    return combos.map((matrix) => ({
      suffix: Object.entries(matrix).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(','),
      scope: { params, matrix },
    }));
  }
  return [{ scope: { params } }];
}

function checkUnique(loaded: LoadedStage, suffixes: string[], field: string): void {
  const seen = new Set<string>();
  for (const s of suffixes) {
    if (seen.has(s)) throw loaded.origin.source.error(`${field} of stage "${loaded.name}" repeats "${s}"; variant names must be unique`, [...loaded.origin.path, field]);
    seen.add(s);
  }
}

function concreteStage(loaded: LoadedStage, variant: Variant, params: Record<string, unknown>): Stage {
  const { source, path } = loaded.origin;
  const id = variant.suffix === undefined ? loaded.name : `${loaded.name}@${variant.suffix}`;
  const scope = variant.scope;
  const interp = <T>(value: T, field: YamlPath): T => {
    try {
      return interpolateDeep(value, scope, field) as T;
    } catch (err) {
      return fail(loaded, err);
    }
  };
  const stringList = (values: string[] | undefined, field: string): string[] =>
    (values ?? []).map((v, i) => {
      const s = interp(v, [field, i]);
      if (typeof s !== 'string' && typeof s !== 'number') throw source.error(`${field}[${i}] of stage "${id}" must be a string`, [...path, field, i]);
      return String(s);
    });
  const raw = loaded.raw;
  const common = {
    id,
    name: loaded.name,
    ...(variant.suffix !== undefined ? { variant: variant.suffix } : {}),
    origin: loaded.origin,
    resources: { cpu: raw.resources?.cpu ?? 1, gpu: raw.resources?.gpu ?? 0, ...(raw.resources?.memory ? { memory: raw.resources.memory } : {}) },
    ...(raw.desc ? { desc: raw.desc } : {}),
    inputs: parseInputs(loaded, interp(raw.inputs ?? {}, ['inputs'])),
    deps: stringList(raw.deps, 'deps'),
  };
  if ('cmd' in raw) {
    const cmdRaw = raw as RawCmdStage;
    const cmd = Array.isArray(cmdRaw.cmd)
      ? cmdRaw.cmd.map((a, i) => {
          const v = interp(String(a), ['cmd', i]);
          return typeof v === 'string' ? v : JSON.stringify(v);
        })
      : String(interpolateOrFail(loaded, cmdRaw.cmd, scope, ['cmd']));
    const declared: Record<string, unknown> = {};
    (cmdRaw.params ?? []).forEach((name, i) => {
      declared[name] = paramValue(loaded, params, name, ['params', i]);
    });
    return { ...common, kind: 'cmd', cmd, outs: stringList(cmdRaw.outs, 'outs'), params: declared };
  }
  const nodeRaw = raw as RawNodeStage;
  return { ...common, kind: 'node', node: nodeRaw.node, params: interp(nodeRaw.params ?? {}, ['params']) };
}

function interpolateOrFail(loaded: LoadedStage, text: string, scope: InterpolationScope, field: YamlPath): unknown {
  try {
    const v = interpolateString(text, scope, field);
    return typeof v === 'string' ? v : JSON.stringify(v);
  } catch (err) {
    return fail(loaded, err);
  }
}

function paramValue(loaded: LoadedStage, params: Record<string, unknown>, name: string, field: YamlPath): unknown {
  let value: unknown = params;
  const parts = name.split('.');
  for (let i = 0; i < parts.length; i++) {
    if (!isPlainObject(value) || !(parts[i]! in value)) {
      const known = isPlainObject(value) ? Object.keys(value) : [];
      throw loaded.origin.source.error(`stage "${loaded.name}" declares unknown param "${name}"${didYouMean(parts[i]!, known)}`, [...loaded.origin.path, ...field]);
    }
    value = value[parts[i]!];
  }
  return value;
}

const STAGE_REF = /^([A-Za-z_][A-Za-z0-9_-]*)(?:@([^.]+|\*))?(?:\.(\*))?(?:\.([A-Za-z_][A-Za-z0-9_-]*))?$/;

/** `train`, `train.model`, `train.*`, `train.*.model`, `train@2.model`, `file:data/x.npy`. */
export function parseInputRef(text: string, path: YamlPath): InputRef | string {
  if (text.startsWith('file:')) {
    const file = text.slice(5);
    return file ? { kind: 'file', text, file, path } : 'file: needs a path';
  }
  const m = STAGE_REF.exec(text);
  if (!m) return `"${text}" is not a reference: use stage, stage.output, stage.*.output, stage@variant.output or file:path`;
  const [, stage, at, star, output] = m;
  if (at && star) return `"${text}" names a variant and * at once`;
  const variant = star ? '*' : at;
  return { kind: 'stage', text, stage: stage!, ...(variant ? { variant } : {}), ...(output ? { output } : {}), path };
}

function parseInputs(loaded: LoadedStage, inputs: Record<string, unknown>): Record<string, InputRef[]> {
  const out: Record<string, InputRef[]> = {};
  for (const [name, value] of Object.entries(inputs)) {
    const list = Array.isArray(value) ? value : [value];
    out[name] = list.map((text, i) => {
      const path: YamlPath = Array.isArray(value) ? ['inputs', name, i] : ['inputs', name];
      if (typeof text !== 'string') throw loaded.origin.source.error(`input "${name}" must be a reference string`, [...loaded.origin.path, ...path]);
      const ref = parseInputRef(text, path);
      if (typeof ref === 'string') throw loaded.origin.source.error(ref, [...loaded.origin.path, ...path]);
      return ref;
    });
  }
  return out;
}
