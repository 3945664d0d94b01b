/**
 * The reporter for pipes and CI: one line per event, prefixed with the time since the run
 * started. Progress and live metrics are rate-limited per stage so a training stage that reports
 * every batch still writes a readable log.
 */
import type { RunEvent, RunReporter } from '../exec/events.js';
import { formatClock, formatDuration, percent } from './format.js';
import { liveMetricsText, metricsText } from './metric-names.js';
import { describeProgress, progressFraction } from './progress.js';
import { RunState } from './run-state.js';
import { summarizeRun, summaryLines } from './summary.js';

export interface PlainReporterOptions {
  out: { write(chunk: string): unknown };
  /** Also print `stage-queued` events and every stage-log line. */
  verbose?: boolean;
  /** Minimum time between two progress (or two live-metrics) lines of one stage. */
  progressIntervalMs?: number;
}

const ID_WIDTH = 16;
const VERB_WIDTH = 8;
/** Lines of a failing stage's error printed under its FAILED line. */
const ERROR_LINES = 5;

export class PlainReporter implements RunReporter {
  readonly state = new RunState();
  private readonly lastProgressLine = new Map<string, number>();
  private readonly lastMetricsLine = new Map<string, number>();
  private readonly interval: number;

  constructor(private readonly opts: PlainReporterOptions) {
    this.interval = opts.progressIntervalMs ?? 2000;
  }

  onEvent(event: RunEvent): void {
    this.state.apply(event);
    for (const line of this.linesFor(event)) this.opts.out.write(line + '\n');
  }

  close(): void {}

  private linesFor(e: RunEvent): string[] {
    switch (e.type) {
      case 'run-started': {
        const cached = e.stages.filter((s) => s.state === 'cached').length;
        const toRun = e.stages.filter((s) => s.state === 'will-run').length;
        const blocked = e.stages.length - cached - toRun;
        const gpus = e.gpus.length > 0 ? e.gpus.join(',') : 'none';
        return [
          `dag run ${e.runId}: ${e.pipeline}, ${e.stages.length} stages (${cached} cached, ${toRun} to run${blocked > 0 ? `, ${blocked} blocked` : ''}), jobs ${e.jobs}, cpus ${e.cpus}, gpus ${gpus}`,
        ];
      }
      case 'stage-queued':
        return this.opts.verbose ? [this.line(e, 'queued', e.stageId, '')] : [];
      case 'stage-cached':
        return [this.line(e, 'cached', e.stageId, `saved ${formatDuration(e.savedMs)}  ${metricsText(e.metrics, 3)}`)];
      case 'stage-started': {
        const gpu = e.gpuIds.length > 0 ? `, gpu ${e.gpuIds.join(',')}` : '';
        return [this.line(e, 'start', e.stageId, `cpu ${e.cpuSlots}${gpu}`)];
      }
      case 'stage-progress': {
        const p = e.progress;
        const final = p.total > 0 && p.step >= p.total;
        if (!final && !this.due(this.lastProgressLine, e.stageId, e.time)) return [];
        this.lastProgressLine.set(e.stageId, e.time);
        const metrics = p.metrics ? liveMetricsText(p.metrics) : '';
        return [this.line(e, 'progress', e.stageId, `${describeProgress(p, ', ')} (${percent(progressFraction(p))})  ${metrics}`)];
      }
      case 'stage-metrics':
        if (!this.due(this.lastMetricsLine, e.stageId, e.time)) return [];
        this.lastMetricsLine.set(e.stageId, e.time);
        return [this.line(e, 'metrics', e.stageId, metricsText(e.metrics, 6))];
      case 'stage-log':
        return this.opts.verbose ? [this.line(e, e.stream === 'stderr' ? 'stderr' : 'log', e.stageId, `| ${e.line}`)] : [];
      case 'stage-finished':
        return [this.line(e, 'done', e.stageId, `${formatDuration(e.durationMs)}  ${metricsText(e.metrics, 4)}`)];
      case 'stage-failed': {
        const [first = '', ...rest] = e.error.split('\n').filter((l) => l.trim() !== '');
        const indent = ' '.repeat('[00:00] '.length + VERB_WIDTH + 1 + ID_WIDTH + 1);
        return [
          this.line(e, 'FAILED', e.stageId, `${formatDuration(e.durationMs)}  ${first}`),
          ...rest.slice(0, ERROR_LINES - 1).map((l) => `${indent}${l.trimEnd()}`),
        ];
      }
      case 'stage-skipped':
        return [this.line(e, 'skipped', e.stageId, e.reason)];
      case 'run-cancelling':
        return [`[${this.clock(e.time)}] ${e.force ? 'killing running stages (second stop request)' : 'stopping: no new stages; waiting for running ones (stop again to kill)'}`];
      case 'run-finished':
        return ['', ...summaryLines(summarizeRun(this.state)).map((l) => l.text)];
    }
  }

  private due(last: Map<string, number>, stageId: string, time: number): boolean {
    const previous = last.get(stageId);
    return previous === undefined || time - previous >= this.interval;
  }

  private clock(time: number): string {
    return formatClock(time - (this.state.startedAt ?? time));
  }

  private line(e: RunEvent, verb: string, stageId: string, rest: string): string {
    return `[${this.clock(e.time)}] ${verb.padEnd(VERB_WIDTH)} ${stageId.padEnd(ID_WIDTH)} ${rest}`.trimEnd();
  }
}
