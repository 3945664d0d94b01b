/**
 * The reporter for a terminal: folds events into the run state at event speed and lets the Ink
 * view redraw from it at most `redrawIntervalMs` apart, so the view costs the run a few frames a
 * second however many events it emits.
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
  redrawIntervalMs?: number;
}

/** Refresh elapsed times and ETAs while a long stage reports nothing. */
const CLOCK_TICK_MS = 1000;

export class InkReporter implements RunReporter {
  readonly state = new RunState();
  private readonly throttle: RedrawThrottle;
  private readonly instance: ReturnType<typeof render>;
  private readonly clockTick: NodeJS.Timeout;

  constructor(opts: InkReporterOptions) {
    this.throttle = new RedrawThrottle(opts.redrawIntervalMs ?? 100);
    this.instance = render(
      <LiveView run={this.state} frames={this.throttle} now={Date.now} onStopRequest={opts.onStopRequest} />,
      {
        stdout: opts.out,
        stdin: opts.stdin ?? process.stdin,
        // Ctrl-C is a stop request to the engine (graceful, then forced), not an exit of the view.
        exitOnCtrlC: false,
        maxFps: Math.ceil(1000 / (opts.redrawIntervalMs ?? 100)),
      },
    );
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
    // React commits the last frame asynchronously; unmounting first would leave the previous
    // frame (not the summary) on screen.
    await new Promise((resolve) => setTimeout(resolve, 0));
    this.throttle.dispose();
    this.instance.unmount();
    await this.instance.waitUntilExit();
  }
}
