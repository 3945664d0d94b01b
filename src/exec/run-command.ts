/**
 * Runs a cmd stage's command in its own process group (so a stop request reaches the whole tree of
 * processes it starts) and turns its output into log events. A command can also report progress and
 * metrics by printing `##dag progress {"step":3,"total":10}` or `##dag metrics {"acc":0.91}`.
 */
import { spawn } from 'node:child_process';
import type { MetricValue, ProgressUpdate } from './node-contract.js';
import { LineSplitter } from './line-splitter.js';

export interface CommandEvents {
  log(stream: 'stdout' | 'stderr', line: string): void;
  progress(update: ProgressUpdate): void;
  metrics(values: Record<string, MetricValue>): void;
}

export interface CommandHandle {
  pid: number | undefined;
  /** Resolves with the exit code, or the signal name that ended it. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal to the command's whole process group. */
  signal(sig: NodeJS.Signals): void;
}

const DIRECTIVE = /^##dag (progress|metrics) (\{.*\})\s*$/;

export function runCommand(cmd: string | string[], opts: { cwd: string; env: NodeJS.ProcessEnv; events: CommandEvents }): CommandHandle {
  const [file, args] = typeof cmd === 'string' ? ['/bin/sh', ['-c', cmd]] : [cmd[0]!, cmd.slice(1)];
  const child = spawn(file, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const onLine = (stream: 'stdout' | 'stderr') => (line: string) => {
    const m = DIRECTIVE.exec(line);
    if (m) {
      try {
        const payload = JSON.parse(m[2]!);
        if (m[1] === 'progress') opts.events.progress(payload as ProgressUpdate);
        else opts.events.metrics(payload as Record<string, MetricValue>);
        return;
      } catch {
        /* not valid JSON: keep it as a log line */
      }
    }
    opts.events.log(stream, line);
  };
  const out = new LineSplitter(onLine('stdout'));
  const err = new LineSplitter(onLine('stderr'));
  child.stdout!.on('data', (c: Buffer) => out.push(c));
  child.stderr!.on('data', (c: Buffer) => err.push(c));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('error', (e) => {
      opts.events.log('stderr', `cannot start ${file}: ${e.message}`);
      resolve({ code: 127, signal: null });
    });
    child.on('close', (code, signal) => {
      out.end();
      err.end();
      resolve({ code, signal });
    });
  });
  return {
    pid: child.pid,
    done,
    signal(sig) {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        /* already gone */
      }
    },
  };
}
