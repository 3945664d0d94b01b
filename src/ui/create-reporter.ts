/** The one entry the engine calls: pick a reporter for the terminal and build it. */
import type { RunReporter } from '../exec/events.js';
import { InkProcessReporter } from './ink-process-reporter.js';
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
 * The Ink view runs in a process of its own (see ink-process-reporter.ts), which loads Ink and
 * React while the run starts. Async so that a reporter may still load something before the run.
 */
export async function createReporter(opts: ReporterOptions): Promise<ClosableReporter> {
  switch (opts.mode) {
    case 'json':
      return new JsonReporter({ out: opts.out });
    case 'plain':
      return new PlainReporter({ out: opts.out, verbose: opts.verbose });
    case 'ink':
      return new InkProcessReporter({ out: opts.out, stdin: opts.stdin, onStopRequest: opts.onStopRequest });
  }
}

/** `--json` wins, then `--plain`; the live view needs a terminal and is not wanted in CI logs. */
export function chooseMode(opts: { json?: boolean; plain?: boolean; isTTY: boolean; ci: boolean }): ReporterMode {
  if (opts.json) return 'json';
  if (opts.plain || !opts.isTTY || opts.ci) return 'plain';
  return 'ink';
}
