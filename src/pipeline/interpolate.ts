/**
 * `${params.x}`, `${item}`, `${key}`, `${matrix.k}` in pipeline values. A value that is exactly one
 * reference keeps the referenced value's type (so `foreach: ${params.seeds}` is a list); references
 * inside a longer string are stringified. `$${` writes a literal `${`. `${inputs.*}` is left for the
 * executor, which knows the materialised paths only when the stage runs.
 */
import type { YamlPath } from './yaml-source.js';

export interface InterpolationScope {
  params: Record<string, unknown>;
  item?: unknown;
  key?: string;
  matrix?: Record<string, unknown>;
}

export class InterpolationError extends Error {
  constructor(message: string, readonly path: YamlPath) {
    super(message);
  }
}

const WHOLE = /^\$\{([^}]+)\}$/;
const ANY = /\$(\$?)\{([^}]+)\}/g;
/** Names resolved later, at execution time. */
const DEFERRED = new Set(['inputs']);

function lookup(expr: string, scope: InterpolationScope, path: YamlPath): { deferred: true } | { value: unknown } {
  const parts = expr.trim().split('.');
  const head = parts[0]!;
  if (DEFERRED.has(head)) return { deferred: true };
  let value: unknown;
  if (head === 'params') value = scope.params;
  else if (head === 'item' && 'item' in scope) value = scope.item;
  else if (head === 'key' && scope.key !== undefined) value = scope.key;
  else if (head === 'matrix' && scope.matrix) value = scope.matrix;
  else {
    const available = ['params', ...('item' in scope ? ['item'] : []), ...(scope.key !== undefined ? ['key'] : []), ...(scope.matrix ? ['matrix'] : [])];
    throw new InterpolationError(`unknown reference \${${expr}}: available here are ${available.map((a) => `\${${a}…}`).join(', ')}`, path);
  }
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i]!;
    if (value === null || typeof value !== 'object' || !(part in (value as object))) {
      const known = value && typeof value === 'object' ? Object.keys(value as object) : [];
      const near = known.length ? ` (known: ${known.slice(0, 12).join(', ')})` : '';
      throw new InterpolationError(`unknown reference \${${expr}}: no "${part}" in ${parts.slice(0, i).join('.')}${near}`, path);
    }
    value = (value as Record<string, unknown>)[part];
  }
  return { value };
}

export function interpolateString(text: string, scope: InterpolationScope, path: YamlPath): unknown {
  if (!text.includes('${')) return text;
  const whole = WHOLE.exec(text);
  if (whole && !text.startsWith('$${')) {
    const r = lookup(whole[1]!, scope, path);
    return 'deferred' in r ? text : r.value;
  }
  return text.replace(ANY, (match, escape: string, expr: string) => {
    if (escape) return match.slice(1);
    const r = lookup(expr, scope, path);
    if ('deferred' in r) return match;
    return typeof r.value === 'string' ? r.value : JSON.stringify(r.value);
  });
}

export function interpolateDeep(value: unknown, scope: InterpolationScope, path: YamlPath = []): unknown {
  if (typeof value === 'string') return interpolateString(value, scope, path);
  if (Array.isArray(value)) return value.map((v, i) => interpolateDeep(v, scope, [...path, i]));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolateDeep(v, scope, [...path, k]);
    return out;
  }
  return value;
}
