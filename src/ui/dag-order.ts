/**
 * Display order of a run's stages: topological (a stage after everything it needs), stable with
 * respect to the plan's own order, plus a depth for indenting the list like a tree.
 */
import type { StagePlanEntry } from '../exec/events.js';

export interface OrderedStage {
  entry: StagePlanEntry;
  /** Longest chain of `needs` above this stage inside the plan; 0 for a root. */
  depth: number;
}

export function dagOrder(plan: readonly StagePlanEntry[]): OrderedStage[] {
  const index = new Map(plan.map((entry, i) => [entry.stageId, i]));
  // Needs that point outside the plan (files, stages not selected) do not constrain the order.
  const inPlanNeeds = plan.map((entry) => entry.needs.filter((n) => index.has(n) && n !== entry.stageId));
  const waitingOn = inPlanNeeds.map((needs) => needs.length);
  const dependents: number[][] = plan.map(() => []);
  inPlanNeeds.forEach((needs, i) => needs.forEach((n) => dependents[index.get(n)!]!.push(i)));

  // Kahn's algorithm, always taking the earliest ready stage in plan order, keeps the plan's
  // order wherever it is already topological.
  const ready: number[] = [];
  waitingOn.forEach((count, i) => count === 0 && ready.push(i));
  const depth = plan.map(() => 0);
  const order: number[] = [];
  const placed = new Set<number>();
  while (ready.length > 0) {
    ready.sort((a, b) => a - b);
    const i = ready.shift()!;
    order.push(i);
    placed.add(i);
    for (const d of dependents[i]!) {
      depth[d] = Math.max(depth[d]!, depth[i]! + 1);
      if (--waitingOn[d]! === 0) ready.push(d);
    }
  }
  // A cycle cannot reach a run (the graph rejects it), but never drop a stage from the view.
  plan.forEach((_, i) => placed.has(i) || order.push(i));
  return order.map((i) => ({ entry: plan[i]!, depth: depth[i]! }));
}
