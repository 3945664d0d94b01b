/**
 * Entry of the process that runs the Ink view (started by InkProcessReporter). Ink, React and
 * every frame run here rather than in `dag run`, whose thread is busy all the time on a pipeline of
 * fast stages: every millisecond the view took there made the run that much longer. Not a worker
 * thread either: the ~30 MB the view holds would sit in the engine's address space, and every
 * stage the engine forks copies its page tables (0.5 ms per spawn became 0.67 ms).
 */
import { PassThrough, Writable } from 'node:stream';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { RunEvent } from '../exec/events.js';
import { freshBundle } from './bundle-freshness.js';
import type { FromViewProcess, ToViewProcess, ViewTerminalSetup } from './view-process-protocol.js';

const setup = JSON.parse(process.argv[2] ?? '{}') as ViewTerminalSetup;
const send = (message: FromViewProcess, then: () => void = () => {}) => process.send!(message, undefined, {}, then);

/**
 * React picks its development or production build from NODE_ENV when first loaded, and the
 * development build costs several times more per frame. This process's environment is its own.
 */
if (process.env.NODE_ENV === undefined) process.env.NODE_ENV = 'production';
// Yoga's WebAssembly loader asks `typeof fetch`, which makes Node 20 load its fetch (undici,
// ~25 ms of CPU) for nothing: the wasm is inlined. This process never fetches.
Object.defineProperty(globalThis, 'fetch', { value: undefined, configurable: true, writable: true });
// Ctrl-C before the view takes the keys (raw mode) reaches the whole process group; stopping is
// the engine's business, and the view stays to show it.
process.on('SIGINT', () => {});

/** Stands in for stdout when it is not a terminal of our own: frames go back over IPC. */
class ForwardedStdout extends Writable {
  readonly isTTY = setup.isTTY;
  columns = setup.columns;
  rows = setup.rows;
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    send({ type: 'output', data: chunk.toString() });
    callback();
  }
}

const stdout = setup.ownStdout ? process.stdout : new ForwardedStdout();
// Without a terminal to read, an stdin that is no TTY: the view then takes no keys.
const stdin = setup.ownStdin ? process.stdin : new PassThrough();

// Events that arrive while Ink loads wait here, then are applied in one go.
const early: RunEvent[] = [];
let onEvents = (events: RunEvent[]) => void early.push(...events);
let close: (() => void) | undefined;
let closeRequested = false;

process.on('message', (message: ToViewProcess) => {
  switch (message.type) {
    case 'events':
      onEvents(message.events);
      return;
    case 'resize':
      if (stdout instanceof ForwardedStdout) {
        stdout.columns = message.columns;
        stdout.rows = message.rows;
        stdout.emit('resize');
      }
      return;
    case 'close':
      closeRequested = true;
      close?.();
      return;
  }
});
// `dag run` went away without closing the view: give the terminal back.
process.on('disconnect', () => {
  closeRequested = true;
  close?.();
});

// One bundled file loads in a fraction of the time of Ink's ~550 modules (bundle-view.ts).
const bundle = freshBundle(dirname(fileURLToPath(import.meta.url)));
const { InkReporter } = (await import(bundle ? pathToFileURL(bundle).href : './ink-reporter.js')) as typeof import('./ink-reporter.js');

/**
 * The view starts drawing with the first event, not before: a dry run or a run that fails while
 * planning sends none, and must not find a half-drawn view between its own lines.
 */
let reporter: InstanceType<typeof InkReporter> | undefined;
onEvents = (events) => {
  reporter ??= new InkReporter({
    out: stdout as NodeJS.WriteStream,
    stdin: stdin as NodeJS.ReadStream,
    onStopRequest: (force) => send({ type: 'stop', force }),
  });
  for (const e of events) reporter.onEvent(e);
};
if (early.length > 0) onEvents(early.splice(0));
let closing = false;
close = () => {
  if (closing) return;
  closing = true;
  void (reporter?.close() ?? Promise.resolve()).then(() => {
    const stats: FromViewProcess = { type: 'closed', frames: reporter?.throttle.frames ?? 0, frameIntervalMs: reporter?.throttle.intervalMs ?? 0 };
    if (process.connected) send(stats, () => process.exit(0));
    else process.exit(0);
  });
};
if (closeRequested) close();
