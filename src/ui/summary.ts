/**
 * The end-of-run summary, built once from the run state and rendered by both the plain logger
 * (as text) and the Ink view (with colour): each line carries a tone instead of escape codes.
 */
import type { MetricValue } from '../exec/node-contract.js';
import { formatDuration, formatMetricValue } from './format.js';
import { headlineMetric } from './metric-names.js';
import type { RunCounts, RunState, StageView } from './run-state.js';

export type SummaryTone = 'title' | 'ok' | 'bad' | 'warn' | 'dim' | 'plain';
export interface SummaryLine {
  tone: SummaryTone;
  text: string;
}

export interface RunSummary {
  status: RunState['status'];
  durationMs?: number;
  counts: RunCounts;
  /** Sum over cache hits of how long each stage took when it really ran. */
  savedMs: number;
  ran: { id: string; durationMs: number }[];
  failures: { id: string; durationMs?: number; errorLines: string[] }[];
  skipped: { id: string; reason: string }[];
  headlines: { id: string; kind: string; metric: string; value: MetricValue; cached: boolean }[];
}

const ERROR_LINES = 3;

export function summarizeRun(run: RunState): RunSummary {
  const ran = run.stages.filter((s) => s.state === 'done').map((s) => ({ id: s.id, durationMs: s.durationMs ?? 0 }));
  const cached = run.stages.filter((s) => s.state === 'cached');
  const failures = run.stages
    .filter((s) => s.state === 'failed')
    .map((s) => ({ id: s.id, durationMs: s.durationMs, errorLines: firstErrorLines(s.error ?? '', s.log.filter((l) => l.stream === 'stderr').map((l) => l.line)) }));
  const skipped = run.stages.filter((s) => s.state === 'skipped').map((s) => ({ id: s.id, reason: s.skipReason ?? '' }));
  // Evaluation stages carry the numbers a run is judged by; a training stage's own accuracy is
  // only the headline of a pipeline that has no evaluation stage.
  const evaluations = run.stages.filter(isEvaluation);
  const headlines = (evaluations.length > 0 ? evaluations : run.stages).flatMap((s) => {
    if (s.state !== 'done' && s.state !== 'cached') return [];
    const h = headlineMetric(s.metrics);
    return h ? [{ id: s.id, kind: s.kind, metric: h.name, value: h.value, cached: s.state === 'cached' }] : [];
  });
  return {
    status: run.status,
    durationMs: run.durationMs,
    counts: run.finalCounts ?? { ran: ran.length, cached: cached.length, failed: failures.length, skipped: skipped.length },
    savedMs: cached.reduce((sum, s) => sum + (s.savedMs ?? 0), 0),
    ran,
    failures,
    skipped,
    headlines,
  };
}

function isEvaluation(s: StageView): boolean {
  return s.kind.startsWith('eval') || s.id.startsWith('eval');
}

/** The first non-empty lines of the error; the stage's stderr tail when the error says little. */
function firstErrorLines(error: string, stderr: string[]): string[] {
  const lines = error.split('\n').map((l) => l.trimEnd()).filter((l) => l.trim() !== '');
  if (lines.length === 0) return stderr.slice(-ERROR_LINES);
  return lines.slice(0, ERROR_LINES);
}

const LISTED = 8;

export function summaryLines(summary: RunSummary): SummaryLine[] {
  const { counts } = summary;
  const took = summary.durationMs !== undefined ? ` in ${formatDuration(summary.durationMs)}` : '';
  const parts = [`${counts.ran} ran`, `${counts.cached} cached${counts.cached > 0 ? ` (saved ${formatDuration(summary.savedMs)})` : ''}`];
  if (counts.failed > 0) parts.push(`${counts.failed} failed`);
  if (counts.skipped > 0) parts.push(`${counts.skipped} skipped`);
  const statusTone: SummaryTone = summary.status === 'succeeded' ? 'ok' : summary.status === 'failed' ? 'bad' : 'warn';
  const lines: SummaryLine[] = [{ tone: statusTone, text: `run ${summary.status}${took}: ${parts.join(', ')}` }];

  if (summary.ran.length > 0) {
    if (summary.ran.length <= LISTED) {
      lines.push({ tone: 'plain', text: `ran: ${summary.ran.map((r) => `${r.id} ${formatDuration(r.durationMs)}`).join(', ')}` });
    } else {
      const slowest = [...summary.ran].sort((a, b) => b.durationMs - a.durationMs).slice(0, 3);
      lines.push({ tone: 'plain', text: `ran ${summary.ran.length} stages; slowest: ${slowest.map((r) => `${r.id} ${formatDuration(r.durationMs)}`).join(', ')}` });
    }
  }
  for (const f of summary.failures.slice(0, LISTED)) {
    const took = f.durationMs !== undefined ? ` after ${formatDuration(f.durationMs)}` : '';
    lines.push({ tone: 'bad', text: `failed: ${f.id}${took}` });
    for (const l of f.errorLines) lines.push({ tone: 'dim', text: `  ${l}` });
  }
  if (summary.failures.length > LISTED) lines.push({ tone: 'bad', text: `… and ${summary.failures.length - LISTED} more failures` });
  if (summary.skipped.length > 0) {
    const shown = summary.skipped.slice(0, 3).map((s) => `${s.id} (${s.reason})`).join(', ');
    const more = summary.skipped.length > 3 ? `, +${summary.skipped.length - 3} more` : '';
    lines.push({ tone: 'warn', text: `skipped: ${shown}${more}` });
  }
  for (const h of summary.headlines.slice(0, LISTED)) {
    lines.push({ tone: 'title', text: `${h.id}: ${h.metric} ${formatMetricValue(h.value)}${h.cached ? ' (cached)' : ''}` });
  }
  if (summary.headlines.length > LISTED) lines.push({ tone: 'dim', text: `… ${summary.headlines.length - LISTED} more results` });
  return lines;
}
