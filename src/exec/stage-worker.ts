/**
 * Entry point of the worker process that runs one node stage. Isolation: a crash, a leak or an
 * out-of-memory kills this process, not the run; one GPU per process through CUDA_VISIBLE_DEVICES.
 * Speaks to the scheduler over the IPC channel with the messages in worker-protocol.ts.
 */
import { pathToFileURL } from 'node:url';
import type { NodeDefinition } from './node-contract.js';
import { runNodeInProcess } from './node-runner.js';
import type { ToWorker, FromWorker } from './worker-protocol.js';

const abort = new AbortController();

function send(msg: FromWorker): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(msg, undefined, {}, () => resolve());
  });
}

// The scheduler is gone (killed with -9): nobody will store our outputs, so stop now.
process.on('disconnect', () => process.exit(3));

process.on('message', (msg: ToWorker) => {
  if (msg.type === 'stop') {
    abort.abort(new Error('stage stopped by the user'));
    return;
  }
  if (msg.type !== 'run') return;
  void (async () => {
    try {
      const mod = (await import(pathToFileURL(msg.modulePath).href)) as { default: NodeDefinition };
      const result = await runNodeInProcess(mod.default, {
        stageId: msg.stageId,
        params: msg.params,
        inputs: msg.inputs,
        outputRoot: msg.outputRoot,
        resumeDir: msg.resumeDir,
        signal: abort.signal,
        devices: msg.devices,
        onEvent: (event) => void send({ type: 'event', event }),
      });
      await send({ type: 'done', result });
      process.exit(0);
    } catch (err) {
      const e = err as Error;
      const user = e?.name === 'NodeUserError' || e?.name === 'DagUserError';
      await send({ type: 'error', message: e?.message ?? String(err), user, stack: user ? undefined : e?.stack });
      process.exit(1);
    }
  })();
});
