/** Reporter factory (minimal plain/JSON version; the Ink view arrives with the UI work). */
import type { RunEvent, RunReporter } from '../exec/events.js';

export type ReporterMode = 'ink' | 'plain' | 'json';
export interface ReporterOptions {
  mode: ReporterMode;
  out: NodeJS.WriteStream;
  onStopRequest?: (force: boolean) => void;
  verbose?: boolean;
}

export function chooseMode(opts: { json?: boolean; plain?: boolean; isTTY: boolean; ci: boolean }): ReporterMode {
  if (opts.json) return 'json';
  return 'plain';
}

export function createReporter(opts: ReporterOptions): RunReporter {
  const w = (s: string) => opts.out.write(s + '\n');
  if (opts.mode === 'json') return { onEvent: (e) => w(JSON.stringify(e)) };
  return {
    onEvent(e: RunEvent) {
      switch (e.type) {
        case 'stage-cached': w(`cached    ${e.stageId}`); break;
        case 'stage-started': w(`start     ${e.stageId}`); break;
        case 'stage-finished': w(`done      ${e.stageId} (${(e.durationMs / 1000).toFixed(1)}s)`); break;
        case 'stage-failed': w(`FAILED    ${e.stageId}: ${e.error}`); break;
        case 'stage-skipped': w(`skipped   ${e.stageId}: ${e.reason}`); break;
        case 'stage-log': if (opts.verbose) w(`  ${e.stageId} | ${e.line}`); break;
        case 'run-finished': w(`run ${e.status}: ${e.counts.ran} ran, ${e.counts.cached} cached, ${e.counts.failed} failed, ${e.counts.skipped} skipped (${(e.durationMs / 1000).toFixed(1)}s)`); break;
        default: break;
      }
    },
  };
}
