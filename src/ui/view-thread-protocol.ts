/**
 * Messages between the engine's thread and the thread that runs the Ink view (ink-thread.ts).
 * The view thread owns no terminal: it renders into a stand-in stdout whose writes come back
 * as `output`, and reads keys the engine's thread forwards as `input`.
 */
import type { RunEvent } from '../exec/events.js';

/** What the view thread needs to know about the terminal when it starts (its `workerData`). */
export interface ViewTerminal {
  columns: number;
  rows: number;
  stdoutIsTTY: boolean;
  /** Keys can only be read from a terminal in raw mode; without one the view takes no keys. */
  stdinIsTTY: boolean;
}

export type ToViewThread =
  | { type: 'events'; events: RunEvent[] }
  | { type: 'input'; data: string }
  | { type: 'resize'; columns: number; rows: number }
  | { type: 'close' };

export type FromViewThread =
  | { type: 'output'; data: string }
  | { type: 'raw-mode'; enabled: boolean }
  | { type: 'stop'; force: boolean }
  /** Sent after the last output: the view unmounted, leaving the summary on screen. */
  | { type: 'closed'; frames: number; frameIntervalMs: number };
