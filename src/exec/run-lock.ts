/**
 * One `dag run` at a time per cache: a lock file created with O_EXCL holding the owner's pid, host
 * and the process groups of the stages it is running. A second run waits and says so. A lock whose
 * owner died (kill -9) is taken over, and the stage processes that owner left behind are killed
 * first, so they cannot write into outputs the new run is producing.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { writeFileAtomic } from '../cache/atomic.js';
import { processAlive } from '../util/process-alive.js';

interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
  command: string;
  children: number[];
}


export class RunLock {
  private info: LockInfo | undefined;

  constructor(private readonly path: string) {}

  async acquire(command: string, onWait: (holder: string) => void, pollMs = 200): Promise<void> {
    let told = false;
    for (;;) {
      const info: LockInfo = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), command, children: [] };
      try {
        const fd = openSync(this.path, 'wx');
        writeSync(fd, JSON.stringify(info));
        closeSync(fd);
        this.info = info;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = this.read();
      if (holder && holder.host === hostname() && !processAlive(holder.pid)) {
        for (const pgid of holder.children) {
          try {
            process.kill(-pgid, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }
        rmSync(this.path, { force: true });
        continue;
      }
      if (!holder) {
        // Created but not yet written by its owner, or unreadable: look again shortly.
        await new Promise((r) => setTimeout(r, pollMs));
        continue;
      }
      if (!told) {
        onWait(`pid ${holder.pid} on ${holder.host} (${holder.command}, since ${holder.startedAt})`);
        told = true;
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  private read(): LockInfo | undefined {
    try {
      return JSON.parse(readFileSync(this.path, 'utf8')) as LockInfo;
    } catch {
      return undefined;
    }
  }

  /** Records the process group of a running stage so a successor can clean up after a kill -9. */
  setChildren(pgids: number[]): void {
    if (!this.info) return;
    this.info.children = pgids;
    writeFileAtomic(this.path, JSON.stringify(this.info));
  }

  release(): void {
    if (!this.info) return;
    const holder = this.read();
    if (holder?.pid === process.pid) rmSync(this.path, { force: true });
    this.info = undefined;
  }
}
