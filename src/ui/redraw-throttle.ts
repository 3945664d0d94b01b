/**
 * Decouples the event rate from the redraw rate: the engine may emit thousands of events a second,
 * the view redraws at most once per interval. Views subscribe to the frame counter (the shape
 * React's useSyncExternalStore expects).
 */
export class RedrawThrottle {
  private frame = 0;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly intervalMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

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

  /** Draw immediately (the run ended, a key was pressed). */
  flush(): void {
    this.draw();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getFrame = (): number => this.frame;

  private draw(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.lastDraw = this.clock();
    this.frame++;
    for (const listener of this.listeners) listener();
  }
}
