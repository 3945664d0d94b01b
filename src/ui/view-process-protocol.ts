/**
 * Messages between `dag run` and the process that runs the Ink view (ink-view-process.ts), over
 * the IPC channel. On a real terminal the view process draws on it and reads keys itself; given
 * other streams (tests, benches), its output comes back as `output` and it takes no keys.
 */
import type { RunEvent } from '../exec/events.js';

/** How the view process reaches the terminal; passed as its one argument, in JSON. */
export interface ViewTerminalSetup {
  /** stdout is inherited: the view writes to the terminal itself. Else it sends `output`. */
  ownStdout: boolean;
  /** stdin is inherited and a terminal: the view reads keys itself, in raw mode. */
  ownStdin: boolean;
  /** Size and kind of a forwarded stdout. */
  columns: number;
  rows: number;
  isTTY: boolean;
}

export type ToViewProcess =
  | { type: 'events'; events: RunEvent[] }
  | { type: 'resize'; columns: number; rows: number }
  | { type: 'close' };

export type FromViewProcess =
  | { type: 'output'; data: string }
  | { type: 'stop'; force: boolean }
  /** Sent after the last output: the view unmounted, leaving the summary on screen. */
  | { type: 'closed'; frames: number; frameIntervalMs: number };
