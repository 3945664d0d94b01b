/**
 * The action cache: stage key → the result of running the stage (output digests, metrics,
 * duration, provenance) plus the key's preimage, so `why` can diff it field by field.
 * The entry is written last and atomically: its presence means every output blob is stored.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { MetricValue } from '../exec/node-contract.js';
import { writeFileAtomic } from './atomic.js';
import { witness } from '../exec/read-witness.js';
import type { StoredArtifact } from './blob-store.js';
import type { ArtifactDigest } from './hash.js';
import type { CacheLayout } from './layout.js';
import type { KeyPreimage, StageKey } from '../exec/stage-key.js';

export interface ActionResult {
  schema: 1;
  key: StageKey;
  /** The stage that produced it (informative: the same key may serve another stage id). */
  stageId: string;
  preimage: KeyPreimage;
  /** Which stage/output each input digest came from, for explanations only. */
  inputLabels: Record<ArtifactDigest, string>;
  outputs: Record<string, StoredArtifact>;
  metrics: Record<string, MetricValue>;
  durationMs: number;
  createdAt: string;
  /** Host, user, backend, device... never part of the key. */
  provenance: Record<string, string>;
  /** Digest of the stage's captured log blob. */
  log?: ArtifactDigest;
}

export type ActionLookup = { status: 'hit'; result: ActionResult } | { status: 'miss' } | { status: 'corrupt'; reason: string };

export class ActionCache {
  /** Entry names per shard directory, listed once: a miss is a set lookup, not a failed read. */
  private readonly shards = new Map<string, Set<string>>();

  constructor(private readonly layout: CacheLayout) {}

  private shard(key: StageKey): Set<string> {
    const name = key.slice(0, 2);
    let set = this.shards.get(name);
    if (!set) {
      try {
        set = new Set(readdirSync(join(this.layout.actions, name)));
      } catch {
        set = new Set();
      }
      this.shards.set(name, set);
    }
    return set;
  }

  /**
   * From the shard's listing, taken once per process: entries another process writes later are not
   * seen (a run holds the lock, so only its own writes, which put() records, matter to it).
   */
  has(key: StageKey): boolean {
    return this.shard(key).has(`${key.slice(2)}.json`);
  }

  get(key: StageKey): ActionLookup {
    // An entry is written once and only ever removed; either changes its shard directory's mtime,
    // so one fact per shard (at most 256) covers every hit and miss in it.
    witness(join(this.layout.actions, key.slice(0, 2)));
    if (!this.has(key)) return { status: 'miss' };
    const path = this.layout.actionPath(key);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return { status: 'miss' };
    }
    try {
      const result = JSON.parse(text) as ActionResult;
      if (result.schema !== 1 || result.key !== key || typeof result.outputs !== 'object') {
        return { status: 'corrupt', reason: 'entry does not match its key' };
      }
      return { status: 'hit', result };
    } catch {
      return { status: 'corrupt', reason: 'entry is not valid JSON' };
    }
  }

  put(result: ActionResult): void {
    writeFileAtomic(this.layout.actionPath(result.key), JSON.stringify(result));
    this.shard(result.key).add(`${result.key.slice(2)}.json`);
  }

  delete(key: StageKey): void {
    rmSync(this.layout.actionPath(key), { force: true });
    this.shard(key).delete(`${key.slice(2)}.json`);
  }
}
