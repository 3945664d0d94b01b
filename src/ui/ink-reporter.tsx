/**
 * The reporter for a terminal: folds events into the run state at event speed and redraws the Ink
 * view from it a few times a second, so the view's cost does not grow with the event rate.
 */
import { render } from 'ink';
import type { RunEvent, RunReporter } from '../exec/events.js';
import { LiveView } from './ink/live-view.js';
import { RedrawThrottle } from './redraw-throttle.js';
import { RunState } from './run-state.js';

export interface InkReporterOptions {
  out: NodeJS.WriteStream;
  /** Keys come from here; process.stdin when omitted. */
  stdin?: NodeJS.ReadStream;
  onStopRequest?: (force: boolean) => void;
}

/** At most 10 frames a second… */
const MIN_FRAME_INTERVAL_MS = 100;
/** …and drawing takes at most 2% of the time, however slow a frame is on this machine… */
const DRAW_BUDGET = 0.02;
/** …but the view still moves at least once a second. */
const MAX_FRAME_INTERVAL_MS = 1000;
/** Refresh elapsed times and ETAs while a long stage reports nothing. */
const CLOCK_TICK_MS = 1000;

export class InkReporter implements RunReporter {
  readonly state = new RunState();
  readonly throttle = new RedrawThrottle({ minIntervalMs: MIN_FRAME_INTERVAL_MS, maxIntervalMs: MAX_FRAME_INTERVAL_MS, budget: DRAW_BUDGET });
  private readonly instance: ReturnType<typeof render>;
  private readonly clockTick: NodeJS.Timeout;

  constructor(private readonly opts: InkReporterOptions) {
    this.instance = render(this.view(), {
      stdout: opts.out,
      stdin: opts.stdin ?? process.stdin,
      // Ctrl-C is a stop request to the engine (graceful, then forced), not an exit of the view.
      exitOnCtrlC: false,
      maxFps: 1000 / MIN_FRAME_INTERVAL_MS,
      // Not `incrementalRendering`: in Ink 6.8 it appends rather than replaces lines when the
      // frame changes height (seen in tmux), leaving a garbled screen.
      // The view runs in a process of its own (ink-view-process.ts); nothing else logs there.
      patchConsole: false,
    });
    // Ink renders synchronously here, so the throttle measures the whole cost of a frame.
    this.throttle.subscribe(() => this.instance.rerender(this.view()));
    this.clockTick = setInterval(() => this.throttle.request(), CLOCK_TICK_MS);
    this.clockTick.unref();
  }

  onEvent(event: RunEvent): void {
    this.state.apply(event);
    if (event.type === 'run-finished') this.throttle.flush();
    else this.throttle.request();
  }

  async close(): Promise<void> {
    clearInterval(this.clockTick);
    this.throttle.flush();
    this.throttle.dispose();
    this.instance.unmount();
    await this.instance.waitUntilExit();
  }

  private view() {
    return <LiveView run={this.state} now={Date.now} onStopRequest={this.opts.onStopRequest} />;
  }
}
