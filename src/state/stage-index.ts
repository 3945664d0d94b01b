/**
 * The last key each stage of a pipeline was run or restored under, so `status` and `why` can say
 * what changed since ("params changed: lr 0.001 → 0.003"). One small JSON file per pipeline in the
 * cache, named by the pipeline's path relative to its project root, so two checkouts of one
 * project share it like they share results.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../cache/atomic.js';
import { sha256 } from '../cache/hash.js';
import type { StageKey } from '../exec/stage-key.js';
import { witness } from '../exec/read-witness.js';

export class StageIndex {
  private readonly file: string;
  private entries: Record<string, StageKey>;
  private dirty = false;

  constructor(cacheRoot: string, pipelineId: string) {
    this.file = join(cacheRoot, 'pipelines', `${sha256(pipelineId).slice(0, 32)}.json`);
    witness(this.file);
    try {
      this.entries = (JSON.parse(readFileSync(this.file, 'utf8')) as { stages: Record<string, StageKey> }).stages ?? {};
    } catch {
      this.entries = {};
    }
  }

  last(stageId: string): StageKey | undefined {
    return this.entries[stageId];
  }

  set(stageId: string, key: StageKey): void {
    if (this.entries[stageId] !== key) {
      this.entries[stageId] = key;
      this.dirty = true;
    }
  }

  save(): void {
    if (!this.dirty) return;
    writeFileAtomic(this.file, JSON.stringify({ stages: this.entries }));
    this.dirty = false;
  }
}
