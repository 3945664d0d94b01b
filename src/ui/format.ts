/** Short, fixed-style renderings of durations, metric values, bars and sparklines. */
import type { MetricValue } from '../exec/node-contract.js';

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${(ms / 1000).toFixed(1)}s`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const totalSeconds = Math.round(s);
  const m = Math.floor(totalSeconds / 60);
  if (m < 60) return `${m}m${String(totalSeconds % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return `${h}h${String(m % 60).padStart(2, '0')}m`;
}

/** `mm:ss` (or `h:mm:ss`) since the run started, the prefix of every plain log line. */
export function formatClock(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const mm = String(Math.floor((total % 3600) / 60)).padStart(2, '0');
  const ss = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export function formatMetricValue(value: MetricValue): string {
  if (typeof value !== 'number') return String(value);
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  // Learning rates live around 1e-3..1e-5, where fixed digits would print 0.000.
  if (abs !== 0 && abs < 1e-2) return value.toExponential(1);
  if (abs >= 1000) return value.toFixed(0);
  return String(Number(value.toPrecision(3)));
}

const BLOCKS = '▁▂▃▄▅▆▇█';

/** A one-line chart of the last values, each character the mean of its bucket. */
export function sparkline(values: readonly number[], width: number): string {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0 || width <= 0) return '';
  const buckets: number[] = [];
  const n = Math.min(width, finite.length);
  for (let b = 0; b < n; b++) {
    const from = Math.floor((b * finite.length) / n);
    const to = Math.max(from + 1, Math.floor(((b + 1) * finite.length) / n));
    const slice = finite.slice(from, to);
    buckets.push(slice.reduce((a, v) => a + v, 0) / slice.length);
  }
  const min = Math.min(...buckets);
  const max = Math.max(...buckets);
  const span = max - min;
  return buckets
    .map((v) => BLOCKS[span === 0 ? 3 : Math.round(((v - min) / span) * (BLOCKS.length - 1))])
    .join('');
}

export function progressBar(fraction: number, width: number): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const full = Math.round(f * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

export function percent(fraction: number): string {
  return `${Math.floor(Math.min(1, Math.max(0, fraction)) * 100)}%`;
}
