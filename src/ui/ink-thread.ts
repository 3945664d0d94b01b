/**
 * Entry of the thread that runs the Ink view (started by InkThreadReporter). Loading Ink and
 * React and drawing frames here keeps both off the engine's thread, which on a pipeline of many
 * fast stages is busy all the time: every millisecond the view took there was a millisecond
 * added to the run.
 */
import { PassThrough, Writable } from 'node:stream';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import type { RunEvent } from '../exec/events.js';
import { freshBundle } from './bundle-freshness.js';
import type { FromViewThread, ToViewThread, ViewTerminal } from './view-thread-protocol.js';

const port = parentPort!;
const terminal = workerData as ViewTerminal;
const post = (message: FromViewThread) => port.postMessage(message);

/**
 * React picks its development or production build from NODE_ENV when first loaded, and the
 * development build costs several times more per frame. This thread has its own copy of the
 * environment, so setting it here changes nothing for the engine or its stage processes.
 */
if (process.env.NODE_ENV === undefined) process.env.NODE_ENV = 'production';

/** Stands in for stdout: Ink writes frames here, the engine's thread writes them to the terminal. */
class ForwardedStdout extends Writable {
  readonly isTTY = terminal.stdoutIsTTY;
  columns = terminal.columns;
  rows = terminal.rows;
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    post({ type: 'output', data: chunk.toString() });
    callback();
  }
}

/** Stands in for stdin: keys arrive as messages; raw mode is switched on the real terminal. */
class ForwardedStdin extends PassThrough {
  readonly isTTY = terminal.stdinIsTTY;
  setRawMode(enabled: boolean): this {
    post({ type: 'raw-mode', enabled });
    return this;
  }
  // Ink refs stdin while it reads keys; the real stdin lives on the other thread.
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
}

const stdout = new ForwardedStdout();
const stdin = new ForwardedStdin();
stdin.setEncoding('utf8');

// Events that arrive while Ink loads wait here, then are applied in one go.
const early: RunEvent[] = [];
let onEvents = (events: RunEvent[]) => void early.push(...events);
let closeRequested = false;
let close: (() => Promise<void>) | undefined;

port.on('message', (message: ToViewThread) => {
  switch (message.type) {
    case 'events':
      onEvents(message.events);
      return;
    case 'input':
      stdin.write(message.data);
      return;
    case 'resize':
      stdout.columns = message.columns;
      stdout.rows = message.rows;
      stdout.emit('resize');
      return;
    case 'close':
      closeRequested = true;
      void close?.();
      return;
  }
});

// One bundled file loads in a fraction of the time of Ink's ~550 modules (bundle-view.ts).
const bundle = freshBundle(dirname(fileURLToPath(import.meta.url)));
const { InkReporter } = (await import(bundle ? pathToFileURL(bundle).href : './ink-reporter.js')) as typeof import('./ink-reporter.js');
const reporter = new InkReporter({
  out: stdout as unknown as NodeJS.WriteStream,
  stdin: stdin as unknown as NodeJS.ReadStream,
  onStopRequest: (force) => post({ type: 'stop', force }),
});
onEvents = (events) => {
  for (const e of events) reporter.onEvent(e);
};
onEvents(early.splice(0));
let closing: Promise<void> | undefined;
close = () =>
  (closing ??= (async () => {
    await reporter.close();
    post({ type: 'closed', frames: reporter.throttle.frames, frameIntervalMs: reporter.throttle.intervalMs });
    port.close();
  })());
if (closeRequested) void close();
