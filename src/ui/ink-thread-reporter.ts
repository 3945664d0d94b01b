/**
 * The live view as the engine's thread sees it. Ink, React and every frame run on a thread of
 * their own (ink-thread.ts); here an event is pushed onto an array, and every 50 ms the array is
 * posted to that thread. The frames it draws come back as text and are written to the terminal
 * here; keys read here go to it, and its stop requests come back to the engine.
 *
 * On a pipeline of fast stages the engine's thread never idles, so any work the view did on it
 * (about half a second to load Ink and React, then every frame) made the run that much longer.
 */
import { Worker } from 'node:worker_threads';
import type { RunEvent, RunReporter } from '../exec/events.js';
import { PlainReporter } from './plain-reporter.js';
import type { FromViewThread, ToViewThread, ViewTerminal } from './view-thread-protocol.js';

export interface InkThreadReporterOptions {
  out: NodeJS.WriteStream;
  /** Keys come from here; process.stdin when omitted. */
  stdin?: NodeJS.ReadStream;
  onStopRequest?: (force: boolean) => void;
  /** The view thread's entry; only tests point it elsewhere (to see a broken view fall back). */
  threadEntry?: URL;
}

/** What the view thread reports when it closes. */
export interface ViewStats {
  frames: number;
  /** The frame interval the draw budget settled on. */
  frameIntervalMs: number;
}

/** Events wait at most this long before they are posted; the view draws at most every 100 ms. */
const POST_INTERVAL_MS = 50;

export class InkThreadReporter implements RunReporter {
  /** Set once closed, unless the view failed. */
  stats: ViewStats | undefined;
  private readonly worker: Worker;
  private readonly stdin: NodeJS.ReadStream;
  private readonly closed: Promise<ViewStats | undefined>;
  private pending: RunEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private rawMode = false;
  private runStarted: RunEvent | undefined;
  /** The plain log takes over if the view thread fails, so the run is still reported. */
  private fallback: PlainReporter | undefined;

  constructor(private readonly opts: InkThreadReporterOptions) {
    this.stdin = opts.stdin ?? process.stdin;
    const terminal: ViewTerminal = {
      columns: opts.out.columns ?? 80,
      rows: opts.out.rows ?? 24,
      stdoutIsTTY: opts.out.isTTY === true,
      stdinIsTTY: this.stdin.isTTY === true,
    };
    this.worker = new Worker(opts.threadEntry ?? new URL('./ink-thread.js', import.meta.url), { workerData: terminal });
    // The run keeps the process alive, not the view; close() holds it until the summary is out.
    this.worker.unref();
    this.closed = new Promise((resolve) => {
      this.worker.on('message', (message: FromViewThread) => {
        switch (message.type) {
          case 'output':
            opts.out.write(message.data);
            return;
          case 'raw-mode':
            this.setRawMode(message.enabled);
            return;
          case 'stop':
            opts.onStopRequest?.(message.force);
            return;
          case 'closed':
            resolve({ frames: message.frames, frameIntervalMs: message.frameIntervalMs });
            return;
        }
      });
      this.worker.on('error', (error) => {
        this.fallBack(error.message);
        resolve(undefined);
      });
      this.worker.on('exit', (code) => {
        this.fallBack(`its thread exited with code ${code}`);
        resolve(undefined);
      });
    });
    opts.out.on?.('resize', this.onResize);
  }

  onEvent(event: RunEvent): void {
    if (this.fallback) {
      this.fallback.onEvent(event);
      return;
    }
    if (event.type === 'run-started') this.runStarted = event;
    this.pending.push(event);
    if (event.type === 'run-finished') this.post();
    else if (!this.timer) {
      this.timer = setTimeout(this.post, POST_INTERVAL_MS);
      this.timer.unref();
    }
  }

  async close(): Promise<void> {
    this.post();
    this.opts.out.off?.('resize', this.onResize);
    if (!this.fallback) {
      this.worker.ref();
      this.send({ type: 'close' });
      this.stats = await this.closed;
      await this.worker.terminate();
    }
    this.setRawMode(false);
    this.fallback?.close();
  }

  private readonly post = () => {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    if (this.fallback) {
      for (const e of this.pending) this.fallback.onEvent(e);
    } else {
      this.send({ type: 'events', events: this.pending });
    }
    this.pending = [];
  };

  private send(message: ToViewThread): void {
    this.worker.postMessage(message);
  }

  private readonly onResize = () => {
    this.send({ type: 'resize', columns: this.opts.out.columns, rows: this.opts.out.rows });
  };

  private readonly onInput = (data: Buffer | string) => {
    this.send({ type: 'input', data: data.toString() });
  };

  /** The view asks for raw mode while it reads keys (Ctrl-C then arrives as a key, not SIGINT). */
  private setRawMode(enabled: boolean): void {
    if (enabled === this.rawMode || !this.stdin.isTTY) return;
    this.rawMode = enabled;
    this.stdin.setRawMode(enabled);
    if (enabled) {
      this.stdin.on('data', this.onInput);
      this.stdin.resume();
    } else {
      this.stdin.off('data', this.onInput);
      this.stdin.pause();
    }
  }

  /** Events the thread already drew are lost to the plain log, except the plan it opens with. */
  private fallBack(reason: string): void {
    if (this.fallback || this.stats) return;
    this.setRawMode(false);
    this.fallback = new PlainReporter({ out: this.opts.out });
    this.opts.out.write(`\ndag: the live view stopped (${reason}); the plain log follows\n`);
    if (this.runStarted && !this.pending.includes(this.runStarted)) this.fallback.onEvent(this.runStarted);
    this.post();
  }
}
