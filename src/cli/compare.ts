/**
 * `dag compare [RUN…]`: the metrics of several runs side by side, one row per stage and metric,
 * one column per run, read from the run history (the same records `dag runs` and `dag show` read).
 */
import { existsSync } from 'node:fs';
import { RunHistory, type RunRecord } from '../state/history.js';
import type { MetricValue } from '../exec/node-contract.js';
import { DagUserError } from '../util/user-error.js';
import { cacheFromFlags } from './cache-dir.js';
import { printTable } from './runs.js';

export interface CompareRow {
  stage: string;
  metric: string;
  /** One per compared run, in column order; null where the run has no such stage or metric. */
  values: (MetricValue | null)[];
}

export interface Comparison {
  runs: { id: string; pipeline: string; startedAt: string; status: string }[];
  rows: CompareRow[];
}

/** Rows in first-seen order across the runs; a failed stage contributes nothing. */
export function compareRuns(runs: readonly RunRecord[], metricFilter?: RegExp): Comparison {
  const rows = new Map<string, CompareRow>();
  runs.forEach((run, col) => {
    for (const s of run.stages) {
      if (s.outcome === 'failed') continue;
      for (const [metric, value] of Object.entries(s.metrics ?? {})) {
        if (metricFilter && !metricFilter.test(`${s.stageId}.${metric}`)) continue;
        const id = `${s.stageId}\u0000${metric}`;
        let row = rows.get(id);
        if (!row) rows.set(id, (row = { stage: s.stageId, metric, values: new Array<MetricValue | null>(runs.length).fill(null) }));
        row.values[col] = value;
      }
    }
  });
  return { runs: runs.map((r) => ({ id: r.id, pipeline: r.pipeline, startedAt: r.startedAt, status: r.status })), rows: [...rows.values()] };
}

function fmt(v: MetricValue | null): string {
  if (v === null) return '-';
  return typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(4)) : String(v);
}

/** Last minus first compared value, when both are numbers; signed, so a regression reads as −. */
function delta(values: (MetricValue | null)[]): string {
  const nums = values.filter((v): v is number => typeof v === 'number');
  if (nums.length < 2 || typeof values[0] !== 'number' || typeof values.at(-1) !== 'number') return '';
  const d = nums.at(-1)! - nums[0]!;
  if (d === 0) return '0';
  return `${d > 0 ? '+' : ''}${Number.isInteger(d) ? String(d) : d.toFixed(4)}`;
}

async function selectRuns(history: RunHistory, ids: string[], limit: number, file: string): Promise<RunRecord[]> {
  if (ids.length === 0) return (await history.load()).slice(-limit);
  const out: RunRecord[] = [];
  for (const id of ids) {
    const run = await history.find(id);
    if (!run) throw new DagUserError(`no run "${id}" in ${file} (see dag runs; a unique prefix, last or -N also work)`);
    out.push(run);
  }
  return out;
}

export async function compareCommand(ids: string[], flags: { cache?: string; limit: number; metric?: string; json?: boolean }): Promise<number> {
  const { layout } = cacheFromFlags(flags);
  let filter: RegExp | undefined;
  if (flags.metric !== undefined) {
    try {
      filter = new RegExp(flags.metric);
    } catch (e) {
      throw new DagUserError(`--metric ${flags.metric}: not a regular expression (${(e as Error).message})`);
    }
  }
  if (!existsSync(layout.history)) {
    if (ids.length) throw new DagUserError(`no runs recorded in ${layout.root}, so no run "${ids[0]}"`);
    if (flags.json) process.stdout.write(JSON.stringify({ runs: [], rows: [] }, null, 2) + '\n');
    else process.stdout.write(`no runs recorded in ${layout.root}\n`);
    return 0;
  }
  const history = new RunHistory(layout.history);
  await history.reapDead();
  const cmp = compareRuns(await selectRuns(history, ids, flags.limit, layout.history), filter);
  if (flags.json) {
    process.stdout.write(JSON.stringify(cmp, null, 2) + '\n');
    return 0;
  }
  if (cmp.rows.length === 0) {
    process.stdout.write(`no metrics in ${cmp.runs.length} run(s)${filter ? ` matching /${flags.metric}/` : ''}\n`);
    return 0;
  }
  const withDelta = cmp.runs.length > 1;
  printTable(
    ['stage', 'metric', ...cmp.runs.map((r) => r.id), ...(withDelta ? ['Δ last-first'] : [])],
    cmp.rows.map((r) => [r.stage, r.metric, ...r.values.map(fmt), ...(withDelta ? [delta(r.values)] : [])]),
  );
  return 0;
}
