/**
 * `dag pull PIPELINE --remote URL`: fetches the pipeline's results and every blob they reach into
 * the local cache, so a later `dag run` is all cache hits without touching the network. Stages are
 * keyed in order, each from its upstream's (local or pulled) outputs, exactly as a run keys them.
 */
import type { StoredArtifact } from '../cache/blob-store.js';
import { RemoteCache, resolveRemoteFlags, type RemoteFlags } from '../cache/remote/remote-cache.js';
import { selectStages } from '../graph/build.js';
import { keyStage } from '../exec/keyer.js';
import { openWorkspace } from '../exec/workspace.js';
import { DagUserError } from '../util/user-error.js';
import { formatBytes } from './cache-walk.js';
import type { PipelineFlags } from './main.js';

interface PullFlags extends PipelineFlags, RemoteFlags {
  target?: string[];
}

export async function pullCommand(file: string, flags: PullFlags): Promise<number> {
  const remoteFlags = resolveRemoteFlags(flags);
  if (!remoteFlags) throw new DagUserError('dag pull needs --remote URL (or DAG_REMOTE)');
  const ws = await openWorkspace(file, { cache: flags.cache, overrides: { set: flags.set, paramFiles: flags.params } });
  ws.layout.ensure();
  const remote = RemoteCache.open(remoteFlags, ws);
  remote.attachToLocalStore();
  const selected = selectStages(ws.graph, flags.target ?? [], false);
  const outputs = new Map<string, Record<string, StoredArtifact>>();
  let pulled = 0;
  let local = 0;
  const absent: string[] = [];
  const refused: string[] = [];
  for (const id of ws.graph.order) {
    if (!selected.has(id)) continue;
    const keyed = await keyStage(ws, ws.graph.stages.get(id)!, (stageId, output) => outputs.get(stageId)?.[output]);
    if (keyed.status !== 'keyed') {
      absent.push(`${id} (${keyed.status === 'waiting' ? `needs ${keyed.on}` : keyed.reason})`);
      continue;
    }
    const here = ws.actions.get(keyed.key);
    let result = here.status === 'hit' ? here.result : undefined;
    if (!result) {
      const found = await remote.lookup(keyed.key);
      if (found.status === 'miss') {
        absent.push(id);
        continue;
      }
      if (found.status === 'rejected') {
        refused.push(`${id}: ${found.reason}`);
        continue;
      }
      result = found.result;
    } else {
      local++;
    }
    // Fetches (and checks) whatever of the outputs is not here yet; a corrupt blob refuses the entry.
    try {
      for (const out of Object.values(result.outputs)) await ws.blobs.verify(out);
      if (result.log) await ws.blobs.verifyBlob(result.log);
    } catch (err) {
      refused.push(`${id}: ${(err as Error).message}`);
      continue;
    }
    if (here.status !== 'hit') {
      ws.actions.put(result);
      pulled++;
    }
    outputs.set(id, result.outputs);
  }
  ws.stats.save();
  process.stdout.write(
    `pulled ${pulled} entr${pulled === 1 ? 'y' : 'ies'} from ${remote.url} (${local} already local), ` +
    `${remote.downloaded.blobs} blobs (${formatBytes(remote.downloaded.bytes)})\n`,
  );
  if (absent.length) process.stdout.write(`not on the remote: ${absent.join(', ')}\n`);
  for (const r of refused) process.stderr.write(`refused ${r}\n`);
  return refused.length ? 1 : 0;
}
