/** The one entry the engine calls: pick a reporter for the terminal and build it. */
import type { RunReporter } from '../exec/events.js';
// Order matters: React is loaded (by the Ink reporter) between these two.
import './react-production-begin.js';
import './react-production-end.js';
import { JsonReporter } from './json-reporter.js';
import { PlainReporter } from './plain-reporter.js';

export type ReporterMode = 'ink' | 'plain' | 'json';

export interface ReporterOptions {
  mode: ReporterMode;
  out: NodeJS.WriteStream;
  /** Called when the user presses q or Ctrl-C in the Ink view: first call = graceful stop, second = kill. */
  onStopRequest?: (force: boolean) => void;
  /** Plain mode: also print queued events and stage-log lines. */
  verbose?: boolean;
  /** Ink mode: where keys are read; process.stdin when omitted. */
  stdin?: NodeJS.ReadStream;
}

/** Every reporter built here has a `close` that the engine awaits when the run ends. */
export type ClosableReporter = RunReporter & { close(): Promise<void> | void };

/**
 * Async because the Ink view (Ink and React) is imported only when it is used: loading it costs
 * more than everything else a plain or JSON run loads.
 */
export async function createReporter(opts: ReporterOptions): Promise<ClosableReporter> {
  switch (opts.mode) {
    case 'json':
      return new JsonReporter({ out: opts.out });
    case 'plain':
      return new PlainReporter({ out: opts.out, verbose: opts.verbose });
    case 'ink': {
      const { InkReporter } = await import('./ink-reporter.js');
      return new InkReporter({ out: opts.out, stdin: opts.stdin, onStopRequest: opts.onStopRequest });
    }
  }
}

/** `--json` wins, then `--plain`; the live view needs a terminal and is not wanted in CI logs. */
export function chooseMode(opts: { json?: boolean; plain?: boolean; isTTY: boolean; ci: boolean }): ReporterMode {
  if (opts.json) return 'json';
  if (opts.plain || !opts.isTTY || opts.ci) return 'plain';
  return 'ink';
}
