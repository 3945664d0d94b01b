/** How each stage state looks in the live view. */
import type { StageState } from '../run-state.js';

export const STATE_LOOK: Record<StageState, { symbol: string; color: string }> = {
  waiting: { symbol: '·', color: 'gray' },
  queued: { symbol: '○', color: 'white' },
  running: { symbol: '▶', color: 'yellow' },
  done: { symbol: '✓', color: 'green' },
  cached: { symbol: '✓', color: 'blue' },
  failed: { symbol: '✗', color: 'red' },
  skipped: { symbol: '–', color: 'gray' },
};
