/**
 * `--json`: the event stream itself as NDJSON, one `RunEvent` per line (schema in docs/ui.md), so
 * other tools consume exactly what the built-in reporters see.
 */
import type { RunEvent, RunReporter } from '../exec/events.js';

export interface JsonReporterOptions {
  out: { write(chunk: string, cb?: (err?: Error | null) => void): unknown };
}

export class JsonReporter implements RunReporter {
  constructor(private readonly opts: JsonReporterOptions) {}

  onEvent(event: RunEvent): void {
    this.opts.out.write(JSON.stringify(event) + '\n');
  }

  /** Resolves once everything written so far has been handed to the stream's sink. */
  close(): Promise<void> {
    return new Promise((resolve) => this.opts.out.write('', () => resolve()));
  }
}
