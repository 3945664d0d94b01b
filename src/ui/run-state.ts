/**
 * Everything a reporter knows about a run, folded from the event stream. Applying an event is a
 * few field writes, so the engine can emit thousands per second; views read this state when they
 * redraw instead of reacting to each event.
 */
import type { RunEvent, StagePlanEntry } from '../exec/events.js';
import type { MetricValue, ProgressUpdate } from '../exec/node-contract.js';
import { dagOrder } from './dag-order.js';
import { LOSS_NAMES, findMetric } from './metric-names.js';

/** `waiting`: in the plan, not yet handed to the scheduler (its needs are still running). */
export type StageState = 'waiting' | 'queued' | 'running' | 'cached' | 'done' | 'failed' | 'skipped';
export const STAGE_STATES: readonly StageState[] = ['running', 'queued', 'failed', 'done', 'cached', 'skipped', 'waiting'];

export type RunStatus = 'starting' | 'running' | 'cancelling' | 'succeeded' | 'failed' | 'cancelled';

export interface StageLogLine {
  stream: 'stdout' | 'stderr' | 'node';
  line: string;
}

export interface TimedProgress extends ProgressUpdate {
  /** Event time of this update, for ETA. */
  time: number;
}

export interface StageView {
  id: string;
  kind: string;
  needs: string[];
  depth: number;
  planState: StagePlanEntry['state'] | 'unplanned';
  reasons: string[];
  state: StageState;
  key?: string;
  queuedAt?: number;
  startedAt?: number;
  endedAt?: number;
  durationMs?: number;
  /** For a cache hit: how long the stage took when it really ran. */
  savedMs?: number;
  cpuSlots: number;
  gpuIds: number[];
  pid?: number;
  progress?: TimedProgress;
  /** Latest value of each metric, from progress updates, metrics events and the final result. */
  metrics: Record<string, MetricValue>;
  /** Recent loss values, oldest first, for the sparkline. */
  lossHistory: number[];
  /** The last lines the stage logged, oldest first. */
  log: StageLogLine[];
  error?: string;
  skipReason?: string;
}

export interface RunCounts {
  ran: number;
  cached: number;
  failed: number;
  skipped: number;
}

const LOG_TAIL = 200;
const LOSS_HISTORY = 120;

export class RunState {
  runId = '';
  pipeline = '';
  startedAt?: number;
  /** Time of the latest event; a deterministic "now" for replayed streams. */
  lastEventTime = 0;
  jobs = 1;
  cpus = 0;
  gpus: number[] = [];
  status: RunStatus = 'starting';
  cancelForce = false;
  durationMs?: number;
  /** Counts as the engine reported them in `run-finished`. */
  finalCounts?: RunCounts;
  /** Stages in display (DAG) order. */
  readonly stages: StageView[] = [];
  private readonly byId = new Map<string, StageView>();
  /** Bumped by every applied event; lets a view skip redraws when nothing changed. */
  version = 0;

  stage(id: string): StageView | undefined {
    return this.byId.get(id);
  }

  apply(event: RunEvent): void {
    this.version++;
    this.lastEventTime = Math.max(this.lastEventTime, event.time);
    switch (event.type) {
      case 'run-started':
        this.runId = event.runId;
        this.pipeline = event.pipeline;
        this.startedAt = event.time;
        this.jobs = Math.max(1, event.jobs);
        this.cpus = event.cpus;
        this.gpus = event.gpus;
        this.status = 'running';
        for (const { entry, depth } of dagOrder(event.stages)) this.addStage(entry, depth);
        return;
      case 'stage-queued': {
        const s = this.ensure(event.stageId);
        s.state = 'queued';
        s.queuedAt = event.time;
        return;
      }
      case 'stage-cached': {
        const s = this.ensure(event.stageId);
        s.state = 'cached';
        s.key = event.key;
        s.savedMs = event.savedMs;
        s.endedAt = event.time;
        this.mergeMetrics(s, event.metrics);
        return;
      }
      case 'stage-started': {
        const s = this.ensure(event.stageId);
        s.state = 'running';
        s.key = event.key;
        s.startedAt = event.time;
        s.cpuSlots = event.cpuSlots;
        s.gpuIds = event.gpuIds;
        s.pid = event.pid;
        return;
      }
      case 'stage-progress': {
        const s = this.ensure(event.stageId);
        s.progress = { ...event.progress, time: event.time };
        if (event.progress.metrics) this.mergeMetrics(s, event.progress.metrics);
        return;
      }
      case 'stage-log': {
        const s = this.ensure(event.stageId);
        s.log.push({ stream: event.stream, line: event.line });
        if (s.log.length > LOG_TAIL * 2) s.log.splice(0, s.log.length - LOG_TAIL);
        return;
      }
      case 'stage-metrics':
        this.mergeMetrics(this.ensure(event.stageId), event.metrics);
        return;
      case 'stage-finished': {
        const s = this.ensure(event.stageId);
        s.state = 'done';
        s.key = event.key;
        s.endedAt = event.time;
        s.durationMs = event.durationMs;
        // The final metrics replace live values of the same name but not the loss history.
        Object.assign(s.metrics, event.metrics);
        return;
      }
      case 'stage-failed': {
        const s = this.ensure(event.stageId);
        s.state = 'failed';
        s.endedAt = event.time;
        s.durationMs = event.durationMs;
        s.error = event.error;
        return;
      }
      case 'stage-skipped': {
        const s = this.ensure(event.stageId);
        s.state = 'skipped';
        s.endedAt = event.time;
        s.skipReason = event.reason;
        return;
      }
      case 'run-cancelling':
        this.status = 'cancelling';
        this.cancelForce = this.cancelForce || event.force;
        return;
      case 'run-finished':
        this.status = event.status;
        this.durationMs = event.durationMs;
        this.finalCounts = event.counts;
        return;
    }
  }

  get finished(): boolean {
    return this.status === 'succeeded' || this.status === 'failed' || this.status === 'cancelled';
  }

  /** Number of stages in each state. */
  countByState(): Record<StageState, number> {
    const counts = Object.fromEntries(STAGE_STATES.map((s) => [s, 0])) as Record<StageState, number>;
    for (const s of this.stages) counts[s.state]++;
    return counts;
  }

  /** The stage's log lines, at most `n`, newest last. */
  logTail(stageId: string, n: number): StageLogLine[] {
    const log = this.byId.get(stageId)?.log ?? [];
    return log.slice(Math.max(0, log.length - n));
  }

  private addStage(entry: StagePlanEntry, depth: number): StageView {
    const existing = this.byId.get(entry.stageId);
    if (existing) return existing;
    const view: StageView = {
      id: entry.stageId,
      kind: entry.kind,
      needs: entry.needs,
      depth,
      planState: entry.state,
      reasons: entry.reasons,
      state: 'waiting',
      cpuSlots: 0,
      gpuIds: [],
      metrics: {},
      lossHistory: [],
      log: [],
    };
    this.stages.push(view);
    this.byId.set(view.id, view);
    return view;
  }

  /** A stage the plan did not announce (should not happen) still gets a row rather than vanishing. */
  private ensure(stageId: string): StageView {
    return (
      this.byId.get(stageId) ??
      this.addStage({ stageId, kind: '?', needs: [], state: 'will-run', reasons: [] }, 0)
    );
  }

  private mergeMetrics(s: StageView, metrics: Record<string, MetricValue>): void {
    Object.assign(s.metrics, metrics);
    const loss = findMetric(metrics, LOSS_NAMES);
    if (loss && typeof loss.value === 'number' && Number.isFinite(loss.value)) {
      s.lossHistory.push(loss.value);
      if (s.lossHistory.length > LOSS_HISTORY * 2) s.lossHistory.splice(0, s.lossHistory.length - LOSS_HISTORY);
    }
  }
}
