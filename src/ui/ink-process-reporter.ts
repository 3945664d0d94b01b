/**
 * The live view as `dag run` sees it. Ink, React and every frame run in a process of their own
 * (ink-view-process.ts), which on a terminal draws on it and reads keys itself. Here an event is
 * pushed onto an array, and every 50 ms the array is sent to the view; stop requests come back.
 *
 * On a pipeline of fast stages the engine's thread never idles, so any work the view did on it
 * (half a second to load Ink and React, then every frame) made the run that much longer; and
 * memory the view holds in the engine's process makes every stage's fork slower.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { getPriority, setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { RunEvent, RunReporter } from '../exec/events.js';
import { PlainReporter } from './plain-reporter.js';
import type { FromViewProcess, ToViewProcess, ViewTerminalSetup } from './view-process-protocol.js';

export interface InkProcessReporterOptions {
  out: NodeJS.WriteStream;
  /** Keys come from here; process.stdin when omitted. Only a terminal on process.stdin gives keys. */
  stdin?: NodeJS.ReadStream;
  onStopRequest?: (force: boolean) => void;
  /** The view process's entry; only tests point it elsewhere (to see a broken view fall back). */
  viewEntry?: string;
}

/** What the view reports when it closes. */
export interface ViewStats {
  frames: number;
  /** The frame interval the draw budget settled on. */
  frameIntervalMs: number;
}

/**
 * Niceness of the view process. When the machine is busy the view, not the run, should wait:
 * the engine and its stages keep their CPU and the view draws late (or less often) rather than
 * the run finishing late. On an idle machine it changes nothing.
 */
const VIEW_NICENESS = 10;

/** Events wait at most this long before they are sent; the view draws at most every 100 ms. */
const SEND_INTERVAL_MS = 50;

export class InkProcessReporter implements RunReporter {
  /** Set once closed, unless the view failed. */
  stats: ViewStats | undefined;
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private readonly ownStdin: boolean;
  private pending: RunEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private runStarted: RunEvent | undefined;
  /** The plain log takes over if the view fails, so the run is still reported. */
  private fallback: PlainReporter | undefined;

  constructor(private readonly opts: InkProcessReporterOptions) {
    const stdin = opts.stdin ?? process.stdin;
    const ownStdout = opts.out === process.stdout && process.stdout.isTTY === true;
    this.ownStdin = ownStdout && stdin === process.stdin && process.stdin.isTTY === true;
    const setup: ViewTerminalSetup = {
      ownStdout,
      ownStdin: this.ownStdin,
      columns: opts.out.columns ?? 80,
      rows: opts.out.rows ?? 24,
      isTTY: opts.out.isTTY === true,
    };
    const entry = opts.viewEntry ?? fileURLToPath(new URL('./ink-view-process.js', import.meta.url));
    this.child = fork(entry, [JSON.stringify(setup)], {
      stdio: [this.ownStdin ? 'inherit' : 'ignore', ownStdout ? 'inherit' : 'ignore', 'inherit', 'ipc'],
      // Not the engine's own flags (--inspect, --cpu-prof…): the view is a separate program.
      execArgv: [],
    });
    this.child.on('message', (message: FromViewProcess) => {
      switch (message.type) {
        case 'output':
          opts.out.write(message.data);
          return;
        case 'stop':
          opts.onStopRequest?.(message.force);
          return;
        case 'closed':
          this.stats = { frames: message.frames, frameIntervalMs: message.frameIntervalMs };
          return;
      }
    });
    this.exited = new Promise((resolve) => {
      this.child.on('error', (error) => {
        this.fallBack(error.message);
        resolve();
      });
      this.child.on('exit', (code, signal) => {
        if (!this.stats) this.fallBack(`its process exited with ${signal ?? `code ${code}`}`);
        resolve();
      });
    });
    this.setViewPriority(Math.max(VIEW_NICENESS, ownPriority()));
    // The run keeps `dag` alive, not the view; close() holds it until the summary is out.
    this.child.unref();
    this.child.channel?.unref();
    opts.out.on?.('resize', this.onResize);
  }

  onEvent(event: RunEvent): void {
    if (this.fallback) {
      this.fallback.onEvent(event);
      return;
    }
    if (event.type === 'run-started') this.runStarted = event;
    this.pending.push(event);
    if (event.type === 'run-finished') this.send();
    else if (!this.timer) {
      this.timer = setTimeout(this.send, SEND_INTERVAL_MS);
      this.timer.unref();
    }
  }

  async close(): Promise<void> {
    this.send();
    this.opts.out.off?.('resize', this.onResize);
    if (!this.fallback) {
      this.child.ref();
      this.child.channel?.ref();
      // The run is over and waits for the summary: the view need not yield any more (where the
      // system lets a process raise a priority back).
      this.setViewPriority(ownPriority());
      this.message({ type: 'close' });
      await this.exited;
    }
    this.fallback?.close();
  }

  private readonly send = () => {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    if (this.fallback) {
      for (const e of this.pending) this.fallback.onEvent(e);
    } else {
      this.message({ type: 'events', events: this.pending });
    }
    this.pending = [];
  };

  private setViewPriority(niceness: number): void {
    try {
      if (this.child.pid !== undefined && this.child.exitCode === null && this.child.signalCode === null) setPriority(this.child.pid, niceness);
    } catch {
      // Not permitted here: the view keeps the priority it has.
    }
  }

  private message(message: ToViewProcess): void {
    if (this.child.connected) this.child.send(message);
  }

  private readonly onResize = () => {
    this.message({ type: 'resize', columns: this.opts.out.columns, rows: this.opts.out.rows });
  };

  /** Events the view already drew are lost to the plain log, except the plan it opens with. */
  private fallBack(reason: string): void {
    if (this.fallback) return;
    // The view may have died with the terminal in raw mode.
    if (this.ownStdin) process.stdin.setRawMode(false);
    this.fallback = new PlainReporter({ out: this.opts.out });
    this.opts.out.write(`\ndag: the live view stopped (${reason}); the plain log follows\n`);
    if (this.runStarted && !this.pending.includes(this.runStarted)) this.fallback.onEvent(this.runStarted);
    this.send();
  }
}

function ownPriority(): number {
  try {
    return getPriority();
  } catch {
    return 0;
  }
}
