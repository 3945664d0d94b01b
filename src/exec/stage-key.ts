/**
 * The stage key: SHA-256 of a canonical JSON preimage of everything that determines a stage's
 * result. Every field says why it is there. Nothing machine-specific enters it (no absolute paths,
 * times, host or user names, device ids), so two checkouts, two users and two machines that run the
 * same pipeline on the same inputs compute the same keys and share results.
 */
import { canonicalJson, sha256, type ArtifactDigest } from '../cache/hash.js';

/** Hex SHA-256 naming one stage result in the action cache. */
export type StageKey = string;

export const KEY_SCHEMA = 'dag-key-1';

export interface KeyPreimage {
  /** Bumped whenever this layout changes, so an old entry is never read as a new one. */
  schema: typeof KEY_SCHEMA;
  kind: 'cmd' | 'node';
  /** cmd: the command after interpolation; a different command is a different computation. */
  cmd?: string | string[];
  /** cmd: declared out paths; renaming an out changes what the stage produces. */
  outs?: string[];
  /** node: the node's name; two nodes with equal params compute different things. */
  node?: string;
  /** node: the author's version number, bumped for changes the source digest cannot see. */
  nodeVersion?: number;
  /** node: digest of the node's module and the project modules it imports. */
  implementation?: ArtifactDigest;
  /** Declared params (cmd) or resolved params with defaults (node), minus volatile ones. */
  params: Record<string, unknown>;
  /** Workspace files and directories the stage reads, by pipeline-relative path, as content digests. */
  deps: Record<string, ArtifactDigest>;
  /**
   * Upstream artifacts by input name, as content digests only: a rerun upstream that produces the
   * same bytes leaves this unchanged (early cutoff), and it does not matter which stage made them.
   */
  inputs: Record<string, ArtifactDigest[]>;
}

export function stageKey(preimage: KeyPreimage): StageKey {
  return sha256(canonicalJson(preimage));
}

/** A change between two preimages, in words for `status` and `why`. */
export interface PreimageChange {
  field: string;
  before: unknown;
  after: unknown;
  reason: string;
}

function short(v: unknown): string {
  const s = typeof v === 'string' ? v : canonicalJson(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/**
 * Field-by-field differences from `before` to `after`. `labels` names input digests by the
 * stage output they came from ("input train@2 output changed").
 */
export function diffPreimages(before: KeyPreimage, after: KeyPreimage, labels: Record<string, string> = {}): PreimageChange[] {
  const changes: PreimageChange[] = [];
  const add = (field: string, b: unknown, a: unknown, reason: string) => changes.push({ field, before: b, after: a, reason });
  if (before.schema !== after.schema) add('schema', before.schema, after.schema, `key schema changed ${before.schema} → ${after.schema}`);
  if (before.kind !== after.kind) add('kind', before.kind, after.kind, `stage kind changed ${before.kind} → ${after.kind}`);
  if (canonicalJson(before.cmd) !== canonicalJson(after.cmd)) add('cmd', before.cmd, after.cmd, `cmd changed: ${cmdDelta(before.cmd, after.cmd)}`);
  if (canonicalJson(before.outs) !== canonicalJson(after.outs)) add('outs', before.outs, after.outs, `outs changed: ${short(before.outs)} → ${short(after.outs)}`);
  if (before.node !== after.node) add('node', before.node, after.node, `node changed ${before.node} → ${after.node}`);
  if (before.nodeVersion !== after.nodeVersion) add('nodeVersion', before.nodeVersion, after.nodeVersion, `node version changed ${before.nodeVersion} → ${after.nodeVersion}`);
  if (before.implementation !== after.implementation) add('implementation', before.implementation, after.implementation, `node implementation changed (${after.node} source or the modules it imports)`);
  diffRecords(before.params, after.params, (name, b, a) => {
    if (b === undefined) add(`params.${name}`, b, a, `param added: ${name}=${short(a)}`);
    else if (a === undefined) add(`params.${name}`, b, a, `param removed: ${name} (was ${short(b)})`);
    else add(`params.${name}`, b, a, `params changed: ${name} ${short(b)} → ${short(a)}`);
  });
  diffRecords(before.deps, after.deps, (path, b, a) => {
    if (b === undefined) add(`deps.${path}`, b, a, `dep ${path} added`);
    else if (a === undefined) add(`deps.${path}`, b, a, `dep ${path} removed`);
    else add(`deps.${path}`, b, a, `dep ${path} changed`);
  });
  diffRecords(before.inputs, after.inputs, (name, b, a) => {
    const list = (a as string[] | undefined) ?? [];
    const prev = new Set((b as string[] | undefined) ?? []);
    const changed = list.filter((d) => !prev.has(d)).map((d) => labels[d] ?? d.slice(0, 12));
    if (b === undefined) add(`inputs.${name}`, b, a, `input ${name} added`);
    else if (a === undefined) add(`inputs.${name}`, b, a, `input ${name} removed`);
    else if (changed.length) add(`inputs.${name}`, b, a, `input ${changed.join(', ')} changed`);
    else add(`inputs.${name}`, b, a, `input ${name} changed (order or count)`);
  });
  return changes;
}

function diffRecords(before: Record<string, unknown> = {}, after: Record<string, unknown> = {}, report: (name: string, b: unknown, a: unknown) => void): void {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const name of [...names].sort()) {
    if (canonicalJson(before[name]) !== canonicalJson(after[name])) report(name, before[name], after[name]);
  }
}

/** The changed stretch of two commands, token by token, with one token of context: `--lr 0.01 → --lr 0.02`. */
function cmdDelta(before: unknown, after: unknown): string {
  const tokens = (c: unknown) => (Array.isArray(c) ? c.map(String) : String(c ?? '').split(/\s+/).filter(Boolean));
  const a = tokens(before);
  const b = tokens(after);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const from = Math.max(0, start - 1);
  const piece = (t: string[], end: number) => `${from > 0 ? '… ' : ''}${t.slice(from, end).join(' ')}${end < t.length ? ' …' : ''}`;
  return `${short(piece(a, endA))} → ${short(piece(b, endB))}`;
}
