/**
 * A `status` result kept with the file-system facts it was computed from (every pipeline file,
 * dependency, output, cache entry and blob it looked at, and the engine's own modules). While all
 * facts hold, the same command gives the same plan, so it is read back instead of recomputed — no
 * YAML parsing, validation, graph building or keying. Any changed fact means a full recomputation.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../cache/atomic.js';
import { canonicalJson, sha256 } from '../cache/hash.js';
import type { StagePlanEntry } from './events.js';
import { witness, witnessesHold, type StatSignature } from './read-witness.js';

const SNAPSHOT_VERSION = 1;

export interface PlanIdentity {
  pipeline: string;
  set: string[];
  paramFiles: string[];
  targets: string[];
  cacheRoot: string;
}

export interface SnapshotEntry extends StagePlanEntry {
  key?: string;
}

interface SnapshotFile {
  version: number;
  facts: [string, StatSignature][];
  plan: SnapshotEntry[];
}

export function snapshotPath(id: PlanIdentity): string {
  const identity = canonicalJson({
    v: SNAPSHOT_VERSION,
    pipeline: resolve(id.pipeline),
    set: id.set,
    paramFiles: id.paramFiles.map((p) => resolve(p)),
    targets: id.targets,
    nodePath: process.env.DAG_NODE_PATH ?? '',
  });
  return join(id.cacheRoot, 'plans', `${sha256(identity).slice(0, 40)}.json`);
}

export function readSnapshot(path: string): SnapshotEntry[] | undefined {
  let file: SnapshotFile;
  try {
    file = JSON.parse(readFileSync(path, 'utf8')) as SnapshotFile;
  } catch {
    return undefined;
  }
  if (file.version !== SNAPSHOT_VERSION || !witnessesHold(file.facts)) return undefined;
  return file.plan;
}

/** The engine's compiled modules are facts too: a rebuilt dag must not reuse an old plan. */
export function witnessEngineModules(): void {
  const distSrc = fileURLToPath(new URL('..', import.meta.url));
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (name.endsWith('.js')) witness(p);
      else if (!name.includes('.') && statSync(p).isDirectory()) walk(p);
    }
  };
  walk(distSrc);
}

export function writeSnapshot(path: string, facts: Map<string, StatSignature>, plan: SnapshotEntry[]): void {
  const file: SnapshotFile = { version: SNAPSHOT_VERSION, facts: [...facts], plan };
  try {
    writeFileAtomic(path, JSON.stringify(file));
  } catch {
    /* a read-only cache only costs the next status its speed */
  }
}
