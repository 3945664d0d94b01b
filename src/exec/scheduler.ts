/**
 * Admits stages that must run: a p-queue bounds how many run at once (--jobs), and the resource
 * pool decides which waiting stage fits now. Waiting stages are tried in priority order (longest
 * chain of stages after them first), and a stage that does not fit does not block smaller ones
 * behind it.
 */
import PQueue from 'p-queue';
import type { Resources } from './node-contract.js';
import { ResourcePool, type Grant } from './resource-pool.js';

interface Pending {
  id: string;
  resources: Resources;
  priority: number;
  run: (grant: Grant) => Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class Scheduler {
  private readonly queue: PQueue;
  private pending: Pending[] = [];
  private admitting = true;
  private running = 0;

  constructor(private readonly pool: ResourcePool, private readonly jobs: number) {
    this.queue = new PQueue({ concurrency: jobs });
  }

  /** Resolves when the stage has run (or rejects with what it threw). */
  submit(id: string, resources: Resources, priority: number, run: (grant: Grant) => Promise<void>): Promise<void> {
    this.pool.fit(resources);
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ id, resources, priority, run, resolve, reject });
      this.pump();
    });
  }

  /** Stops admitting new stages; waiting ones are dropped and reported as not started. */
  stopAdmitting(): string[] {
    this.admitting = false;
    const dropped = this.pending.map((p) => p.id);
    for (const p of this.pending) p.resolve();
    this.pending = [];
    return dropped;
  }

  private pump(): void {
    if (!this.admitting) return;
    this.pending.sort((a, b) => b.priority - a.priority);
    for (let i = 0; i < this.pending.length && this.running < this.jobs; ) {
      const p = this.pending[i]!;
      const grant = this.pool.tryAcquire(p.resources);
      if (!grant) {
        i++;
        continue;
      }
      this.pending.splice(i, 1);
      this.running++;
      void this.queue.add(async () => {
        try {
          await p.run(grant);
          p.resolve();
        } catch (err) {
          p.reject(err);
        } finally {
          this.pool.release(grant);
          this.running--;
          this.pump();
        }
      });
    }
  }
}
