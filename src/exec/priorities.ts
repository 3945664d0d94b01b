/** Scheduling priority: the longest chain of stages that waits on a stage, so long chains start first. */
import type { StageGraph } from '../graph/build.js';

export function stagePriorities(graph: StageGraph): Map<string, number> {
  const p = new Map<string, number>();
  for (let i = graph.order.length - 1; i >= 0; i--) {
    const id = graph.order[i]!;
    let best = 0;
    for (const d of graph.stages.get(id)!.downstream) best = Math.max(best, p.get(d) ?? 0);
    p.set(id, best + 1);
  }
  return p;
}
