/** `dag push [PIPELINE] --remote URL [--all]`: uploads cached results to a shared cache. */
import type { ActionResult } from '../cache/action-cache.js';
import { RemoteCache, resolveRemoteFlags, type PushCounts, type RemoteFlags } from '../cache/remote/remote-cache.js';
import { planStages } from '../exec/plan.js';
import { openWorkspace, type CacheHandles } from '../exec/workspace.js';
import { DagUserError } from '../util/user-error.js';
import { cacheFromFlags } from './cache-dir.js';
import { formatBytes, walkFiles } from './cache-walk.js';
import type { PipelineFlags } from './main.js';

interface PushFlags extends PipelineFlags, RemoteFlags {
  all?: boolean;
}

export async function pushCommand(file: string | undefined, flags: PushFlags): Promise<number> {
  const remoteFlags = resolveRemoteFlags(flags);
  if (!remoteFlags) throw new DagUserError('dag push needs --remote URL (or DAG_REMOTE)');
  if (!file && !flags.all) throw new DagUserError('name a pipeline whose results to push, or --all for the whole local cache');
  if (file && flags.all) throw new DagUserError('give a pipeline or --all, not both');
  let cache: CacheHandles;
  const results: ActionResult[] = [];
  let notCached: string[] = [];
  if (file) {
    const ws = await openWorkspace(file, { cache: flags.cache, overrides: { set: flags.set, paramFiles: flags.params } });
    cache = ws;
    const plan = await planStages(ws, new Set(ws.graph.order), false);
    for (const p of plan) if (p.state === 'cached' && p.result) results.push(p.result);
    notCached = plan.filter((p) => p.state !== 'cached').map((p) => p.stageId);
  } else {
    cache = cacheFromFlags(flags);
    for (const f of walkFiles(cache.layout.actions)) {
      if (!f.name.endsWith('.json') || f.name.startsWith('.')) continue;
      const key = f.parent.slice(-2) + f.name.slice(0, -'.json'.length);
      const hit = cache.actions.get(key);
      if (hit.status === 'hit') results.push(hit.result);
    }
  }
  const remote = RemoteCache.open(remoteFlags, cache);
  const counts: PushCounts = { blobsUploaded: 0, blobsPresent: 0, bytesUploaded: 0 };
  let written = 0;
  let existed = 0;
  const failed: string[] = [];
  for (const result of results) {
    try {
      const r = await remote.pushResult(result);
      counts.blobsUploaded += r.blobsUploaded;
      counts.blobsPresent += r.blobsPresent;
      counts.bytesUploaded += r.bytesUploaded;
      if (r.entry === 'written') written++;
      else existed++;
    } catch (err) {
      failed.push(`${result.stageId} (${result.key.slice(0, 12)}): ${(err as Error).message}`);
    }
  }
  process.stdout.write(
    `pushed ${written} entr${written === 1 ? 'y' : 'ies'} to ${remote.url} (${existed} already there), ` +
    `${counts.blobsUploaded} blobs uploaded (${formatBytes(counts.bytesUploaded)}), ${counts.blobsPresent} already there\n`,
  );
  if (notCached.length) process.stdout.write(`not cached locally, so not pushed: ${notCached.join(', ')}\n`);
  for (const f of failed) process.stderr.write(`error: push of ${f}\n`);
  return failed.length ? 1 : 0;
}
