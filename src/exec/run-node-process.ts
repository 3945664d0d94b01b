/** Parent side of a node stage: forks the worker, relays its events, and reports how it ended. */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { NodeEvent, NodeRunResult } from './node-runner.js';
import type { FromWorker, ToWorker } from './worker-protocol.js';

const workerPath = fileURLToPath(new URL('./stage-worker.js', import.meta.url));

export type NodeProcessOutcome =
  | { status: 'done'; result: NodeRunResult }
  | { status: 'error'; message: string; user: boolean; stack?: string | undefined }
  | { status: 'killed'; message: string };

export interface NodeProcessHandle {
  pid: number | undefined;
  done: Promise<NodeProcessOutcome>;
  /** Asks the node to stop (its AbortSignal fires). */
  stop(): void;
  kill(): void;
}

export function runNodeProcess(request: Extract<ToWorker, { type: 'run' }>, env: NodeJS.ProcessEnv, onEvent: (e: NodeEvent) => void, onStderr: (line: string) => void): NodeProcessHandle {
  const child = fork(workerPath, [], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: true, serialization: 'advanced' });
  let outcome: NodeProcessOutcome | undefined;
  child.on('message', (msg: FromWorker) => {
    if (msg.type === 'event') onEvent(msg.event);
    else if (msg.type === 'done') outcome = { status: 'done', result: msg.result };
    else if (msg.type === 'error') outcome = { status: 'error', message: msg.message, user: msg.user, stack: msg.stack };
  });
  // Whatever the node prints directly (libraries, console.log) is kept as its log.
  let buf = '';
  const onData = (chunk: Buffer) => {
    buf += chunk.toString();
    const lines = buf.split('\n');
    buf = lines.pop()!;
    lines.forEach(onStderr);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const done = new Promise<NodeProcessOutcome>((resolve) => {
    child.on('close', (code, signal) => {
      if (buf) onStderr(buf);
      if (outcome) resolve(outcome);
      else resolve({ status: 'killed', message: signal ? `worker killed by ${signal}` : `worker exited with code ${code} before reporting a result` });
    });
  });
  child.send(request);
  return {
    pid: child.pid,
    done,
    stop() {
      if (child.connected) child.send({ type: 'stop' } satisfies ToWorker);
    },
    kill() {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    },
  };
}
