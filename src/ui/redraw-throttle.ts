/**
 * Decouples the event rate from the redraw rate: the engine may emit thousands of events a second,
 * the view redraws at most once per interval. With a budget the interval also stretches so that
 * drawing takes at most that share of the time (a 6 ms frame with a 2% budget: one frame per
 * 300 ms), which keeps the view's cost bounded on a slow or busy machine.
 */
import { performance } from 'node:perf_hooks';

export interface RedrawThrottleOptions {
  /** Shortest time between two frames (100 ms: at most 10 redraws a second). */
  minIntervalMs: number;
  /** Longest the adaptive interval may grow to, so the view never looks frozen. */
  maxIntervalMs?: number;
  /** Share of the time drawing may take, e.g. 0.02; no adaptation when omitted. */
  budget?: number;
  clock?: () => number;
}

export class RedrawThrottle {
  private frame = 0;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<() => void>();
  private readonly clock: () => number;
  /** Current time between frames; starts at the minimum. */
  intervalMs: number;
  /** How long the last frame took to draw, in the clock's unit. */
  lastCostMs = 0;

  constructor(private readonly opts: RedrawThrottleOptions) {
    this.clock = opts.clock ?? (() => performance.now());
    this.intervalMs = opts.minIntervalMs;
  }

  /** Something changed: draw now if the last frame is old enough, else once the interval is over. */
  request(): void {
    if (this.timer) return;
    const wait = this.lastDraw + this.intervalMs - this.clock();
    if (wait <= 0) {
      this.draw();
      return;
    }
    this.timer = setTimeout(() => this.draw(), wait);
    // A pending redraw must never keep a finished process alive.
    this.timer.unref();
  }

  /** Draw immediately (the run ended). */
  flush(): void {
    this.draw();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get frames(): number {
    return this.frame;
  }

  private draw(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const start = this.clock();
    this.frame++;
    for (const listener of this.listeners) listener();
    const end = this.clock();
    this.lastDraw = end;
    this.lastCostMs = end - start;
    if (this.opts.budget !== undefined) {
      const wanted = this.lastCostMs / this.opts.budget;
      this.intervalMs = Math.min(this.opts.maxIntervalMs ?? 1000, Math.max(this.opts.minIntervalMs, wanted));
    }
  }
}
