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
  // order wherever it is already topological. A heap, because a wide pipeline (1,000
  // independent stages) has everything ready at once.
  const ready = new MinHeap();
  waitingOn.forEach((count, i) => count === 0 && ready.push(i));
  const depth = plan.map(() => 0);
  const order: number[] = [];
  const placed = new Set<number>();
  while (ready.size > 0) {
    const i = ready.pop();
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

/** Smallest number first. */
class MinHeap {
  private readonly items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  push(value: number): void {
    const a = this.items;
    a.push(value);
    for (let i = a.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (a[parent]! <= a[i]!) break;
      [a[parent], a[i]] = [a[i]!, a[parent]!];
      i = parent;
    }
  }

  pop(): number {
    const a = this.items;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l]! < a[m]!) m = l;
        if (r < a.length && a[r]! < a[m]!) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top;
  }
}
