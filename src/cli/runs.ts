import { existsSync } from 'node:fs';
import { RunHistory, type RunRecord } from '../state/history.js';
import type { MetricValue } from '../exec/node-contract.js';
import { DagUserError } from '../util/user-error.js';
import { cacheFromFlags } from './cache-dir.js';

/** Metrics worth a column: evaluation headlines first. */
const HEADLINE = /^(accuracy|acc|balanced_accuracy|macro_f1|tail_acc|val_accuracy|loss)$/;

function fmt(v: MetricValue): string {
  return typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(4)) : String(v);
}

function duration(r: RunRecord): string {
  if (!r.finishedAt) return '-';
  return `${((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000).toFixed(1)}s`;
}

export function headlineMetrics(r: RunRecord): string {
  const parts: string[] = [];
  for (const s of r.stages) {
    for (const [k, v] of Object.entries(s.metrics ?? {})) if (HEADLINE.test(k) && s.outcome !== 'failed') parts.push(`${s.stageId}.${k}=${fmt(v)}`);
  }
  return parts.slice(0, 4).join(' ');
}

export async function runsCommand(flags: { cache?: string; limit: number }): Promise<number> {
  const { layout } = cacheFromFlags(flags);
  if (!existsSync(layout.history)) {
    process.stdout.write(`no runs recorded in ${layout.root}\n`);
    return 0;
  }
  const history = new RunHistory(layout.history);
  await history.reapDead();
  const runs = (await history.load()).slice(-flags.limit);
  const rows = runs.map((r) => {
    const c = (o: string) => r.stages.filter((s) => s.outcome === o).length;
    return [r.id, r.status, r.startedAt.slice(0, 19).replace('T', ' '), duration(r), `${c('ran')}/${c('cached')}/${c('failed')}`, r.pipeline, headlineMetrics(r)];
  });
  printTable(['run', 'status', 'started (UTC)', 'time', 'ran/cached/failed', 'pipeline', 'metrics'], rows);
  return 0;
}

export async function showCommand(runId: string, flags: { cache?: string }): Promise<number> {
  const { layout } = cacheFromFlags(flags);
  const run = await new RunHistory(layout.history).find(runId);
  if (!run) throw new DagUserError(`no run "${runId}" in ${layout.history} (see dag runs)`);
  process.stdout.write(`run ${run.id}  ${run.status}  ${run.pipeline}\nstarted ${run.startedAt}  finished ${run.finishedAt ?? '-'}  (${duration(run)})\ncommand: dag ${run.argv.join(' ')}\n\n`);
  printTable(['stage', 'outcome', 'time', 'key', 'metrics / error'], run.stages.map((s) => [
    s.stageId, s.outcome, s.outcome === 'cached' ? `(saved ${((s.savedMs ?? 0) / 1000).toFixed(1)}s)` : `${(s.durationMs / 1000).toFixed(1)}s`,
    s.key?.slice(0, 12) ?? '-',
    s.error ? s.error.split('\n')[0]! : Object.entries(s.metrics ?? {}).map(([k, v]) => `${k}=${fmt(v)}`).join(' '),
  ]));
  return 0;
}

export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  process.stdout.write([line(header), ...rows.map(line)].join('\n') + '\n');
}
