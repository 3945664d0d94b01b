/**
 * CPU slots and GPU devices of this machine. A stage is admitted when what it asks for is free;
 * it gets concrete GPU ids (for CUDA_VISIBLE_DEVICES), never a GPU another stage holds.
 */
import type { Resources } from './node-contract.js';

export interface Grant {
  cpu: number;
  gpuIds: number[];
  memory: number;
}

export class ResourcePool {
  private freeCpu: number;
  private freeGpus: number[];
  private freeMemory: number;

  constructor(readonly cpus: number, readonly gpus: number[], readonly memoryMiB = Number.POSITIVE_INFINITY) {
    this.freeCpu = cpus;
    this.freeGpus = [...gpus];
    this.freeMemory = memoryMiB;
  }

  /**
   * A request larger than the whole machine is clamped to it (the stage then runs alone) rather
   * than waiting forever; a GPU request on a machine without GPUs cannot be met and is an error.
   */
  fit(req: Resources): Resources {
    if (req.gpu > this.gpus.length) {
      throw new Error(`needs ${req.gpu} GPU(s) but ${this.gpus.length ? `only ${this.gpus.length} (${this.gpus.join(',')})` : 'none'} ${this.gpus.length === 1 ? 'is' : 'are'} available (--gpus)`);
    }
    return { cpu: Math.min(req.cpu, this.cpus), gpu: req.gpu, ...(req.memory ? { memory: Math.min(req.memory, this.memoryMiB) } : {}) };
  }

  tryAcquire(req: Resources): Grant | undefined {
    const r = this.fit(req);
    const mem = r.memory ?? 0;
    if (r.cpu > this.freeCpu + 1e-9 || r.gpu > this.freeGpus.length || mem > this.freeMemory) return undefined;
    this.freeCpu -= r.cpu;
    this.freeMemory -= mem;
    return { cpu: r.cpu, gpuIds: this.freeGpus.splice(0, r.gpu), memory: mem };
  }

  release(grant: Grant): void {
    this.freeCpu += grant.cpu;
    this.freeMemory += grant.memory;
    this.freeGpus.push(...grant.gpuIds);
    this.freeGpus.sort((a, b) => a - b);
  }
}
