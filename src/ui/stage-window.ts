/**
 * Which stages a list of limited height shows. A pipeline of 1,000 stages cannot be listed, and
 * what a user watches is what is running, what failed and what they selected; everything else
 * collapses into "hidden" rows that count the stages they stand for.
 */
import type { StageState } from './run-state.js';

export type WindowRow = { kind: 'stage'; index: number } | { kind: 'hidden'; from: number; to: number };

/**
 * Queued stages are not among these: the engine queues every ready stage at once, and hundreds of
 * queued rows would push out what just finished; the next ones in line show up as context.
 */
const PRIORITY: readonly StageState[] = ['running', 'failed'];

/** Rows (stages and hidden-range markers, in order) that fit in `limit` lines. */
export function stageWindow(states: readonly StageState[], selected: number, limit: number): WindowRow[] {
  const n = states.length;
  if (n <= limit) return states.map((_, index) => ({ kind: 'stage', index }));
  const chosen = new Set<number>();
  const fits = (extra: number) => rowCount(chosen, n, extra) <= limit;
  const tryAdd = (i: number) => {
    if (i < 0 || i >= n || chosen.has(i)) return;
    if (fits(i)) chosen.add(i);
  };

  const anchors: number[] = [];
  if (selected >= 0 && selected < n) anchors.push(selected);
  for (const state of PRIORITY) states.forEach((s, i) => s === state && anchors.push(i));
  for (const i of anchors) tryAdd(i);
  // Then context: the stages right after and before the anchors (what runs next, what just ran).
  const context = anchors.length > 0 ? anchors.slice(0, limit) : [firstUnfinished(states)];
  for (let d = 1; d < n && rowCount(chosen, n, -1) < limit; d++) {
    const before = chosen.size;
    for (const a of context) {
      tryAdd(a + d);
      tryAdd(a - d);
    }
    if (chosen.size === before && d > limit) break;
  }
  return toRows([...chosen].sort((a, b) => a - b), n);
}

function firstUnfinished(states: readonly StageState[]): number {
  const i = states.findIndex((s) => s === 'waiting' || s === 'queued' || s === 'running');
  return i === -1 ? states.length - 1 : i;
}

/** Lines needed to show `chosen` (plus `extra` if not negative) and a marker per hidden range. */
function rowCount(chosen: Set<number>, n: number, extra: number): number {
  const indices = [...chosen];
  if (extra >= 0) indices.push(extra);
  return toRows(indices.sort((a, b) => a - b), n).length;
}

function toRows(sorted: number[], n: number): WindowRow[] {
  const rows: WindowRow[] = [];
  let next = 0;
  for (const index of sorted) {
    if (index > next) rows.push({ kind: 'hidden', from: next, to: index });
    rows.push({ kind: 'stage', index });
    next = index + 1;
  }
  if (next < n) rows.push({ kind: 'hidden', from: next, to: n });
  return rows;
}
