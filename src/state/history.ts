/**
 * Run history (lowdb, one JSON file in the cache directory): every run with its stages, keys,
 * cache hits, durations, metrics and errors. `dag runs`, `dag show` and `dag gc` read it.
 * A run is recorded as `running` when it starts and flushed periodically, so a killed run leaves a
 * record that the next run marks `killed`.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import type { MetricValue } from '../exec/node-contract.js';
import { processAlive } from '../util/process-alive.js';

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'killed';
export type StageOutcome = 'ran' | 'cached' | 'failed' | 'skipped';

export interface StageRecord {
  stageId: string;
  key?: string;
  outcome: StageOutcome;
  durationMs: number;
  /** For a cache hit: how long the stage took when it ran. */
  savedMs?: number;
  metrics: Record<string, MetricValue>;
  error?: string;
  reasons?: string[];
  /** Output digests, so gc keeps what recent runs used. */
  outputs?: Record<string, { type: 'file' | 'tree'; digest: string }>;
}

export interface RunRecord {
  id: string;
  pipeline: string;
  argv: string[];
  startedAt: string;
  finishedAt?: string;
  status: RunStatus;
  pid: number;
  host: string;
  stages: StageRecord[];
}

interface HistoryData {
  runs: RunRecord[];
}


export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

export class RunHistory {
  private readonly db: Low<HistoryData>;
  private loaded = false;

  constructor(file: string) {
    this.db = new Low<HistoryData>(new JSONFile<HistoryData>(file), { runs: [] });
  }

  async load(): Promise<RunRecord[]> {
    if (!this.loaded) {
      try {
        await this.db.read();
      } catch {
        // A history file damaged by hand must not stop runs; start a fresh one beside it.
        this.db.data = { runs: [] };
      }
      this.db.data ??= { runs: [] };
      this.loaded = true;
    }
    return this.db.data.runs;
  }

  /** Marks runs left `running` by a process that no longer exists (killed, crashed) as `killed`. */
  async reapDead(): Promise<number> {
    const runs = await this.load();
    let n = 0;
    for (const r of runs) {
      if (r.status === 'running' && r.host === hostname() && !processAlive(r.pid)) {
        r.status = 'killed';
        n++;
      }
    }
    if (n) await this.db.write();
    return n;
  }

  async begin(pipeline: string, argv: string[]): Promise<RunRecord> {
    const runs = await this.load();
    const run: RunRecord = { id: newRunId(), pipeline, argv, startedAt: new Date().toISOString(), status: 'running', pid: process.pid, host: hostname(), stages: [] };
    runs.push(run);
    await this.db.write();
    return run;
  }

  async flush(): Promise<void> {
    await this.db.write();
  }

  async find(idOrPrefix: string): Promise<RunRecord | undefined> {
    const runs = await this.load();
    if (idOrPrefix === 'last' || idOrPrefix === '-1') return runs.at(-1);
    const m = /^-(\d+)$/.exec(idOrPrefix);
    if (m) return runs.at(-Number(m[1]));
    const matches = runs.filter((r) => r.id.startsWith(idOrPrefix));
    return matches.length === 1 ? matches[0] : matches.find((r) => r.id === idOrPrefix);
  }

  /** Replaces the run list (gc of old runs). */
  async replace(runs: RunRecord[]): Promise<void> {
    await this.load();
    this.db.data.runs = runs;
    await this.db.write();
  }
}
