/**
 * Removes what the last N runs do not reach: action entries whose key no kept run used, blobs no
 * kept entry reaches, checkouts of removed trees, and resume directories of abandoned keys.
 */
import { basename, join } from 'node:path';
import { readdirSync, rmSync } from 'node:fs';
import type { ArtifactDigest } from '../cache/hash.js';
import { RunLock } from '../exec/run-lock.js';
import { RunHistory } from '../state/history.js';
import { cacheFromFlags } from './cache-dir.js';
import { dirSize, formatBytes, walkFiles } from './cache-walk.js';

export async function gcCommand(flags: { cache?: string; keepLast: number; dryRun?: boolean }): Promise<number> {
  const { layout, actions, blobs, stats } = cacheFromFlags(flags);
  layout.ensure();
  const lock = new RunLock(layout.lock);
  await lock.acquire('dag gc', (holder) => process.stderr.write(`waiting for the cache lock held by ${holder}\n`));
  try {
    const history = new RunHistory(layout.history);
    await history.reapDead();
    const runs = await history.load();
    const kept = flags.keepLast === 0 ? [] : runs.slice(-flags.keepLast);
    const keepKeys = new Set(kept.flatMap((r) => r.stages.map((s) => s.key).filter((k): k is string => Boolean(k))));
    const reachable = new Set<ArtifactDigest>();
    for (const key of keepKeys) {
      const hit = actions.get(key);
      if (hit.status !== 'hit') continue;
      for (const out of Object.values(hit.result.outputs)) blobs.reachable(out, reachable);
      if (hit.result.log) reachable.add(hit.result.log);
    }
    let freed = 0;
    let removedEntries = 0;
    let removedBlobs = 0;
    const remove = (path: string, size: number) => {
      freed += size;
      if (!flags.dryRun) rmSync(path, { recursive: true, force: true });
    };
    for (const f of walkFiles(layout.actions)) {
      const key = basename(f.parent) + f.name.replace(/\.json$/, '');
      if (!keepKeys.has(key)) {
        remove(f.path, f.size);
        removedEntries++;
      }
    }
    for (const f of walkFiles(layout.blobs)) {
      const digest = basename(f.parent) + f.name;
      if (!reachable.has(digest)) {
        remove(f.path, f.size);
        stats.forget(f.path);
        removedBlobs++;
      }
    }
    for (const dir of safeList(layout.checkouts)) {
      if (!reachable.has(dir)) remove(join(layout.checkouts, dir), 0);
    }
    for (const dir of safeList(layout.resume)) {
      if (!keepKeys.has(dir)) remove(join(layout.resume, dir), dirSize(join(layout.resume, dir)));
    }
    for (const dir of safeList(layout.tmp)) remove(join(layout.tmp, dir), dirSize(join(layout.tmp, dir)));
    // Parsed pipelines and status snapshots are caches of caches: cheap to rebuild, never needed.
    for (const derived of [layout.parsed, join(layout.root, 'plans')]) remove(derived, dirSize(derived));
    if (!flags.dryRun) {
      await history.replace(kept);
      stats.save();
    }
    process.stdout.write(`${flags.dryRun ? 'would remove' : 'removed'} ${removedEntries} cache entries and ${removedBlobs} blobs, ${formatBytes(freed)} freed; kept the results of the last ${kept.length} run(s)\n`);
    return 0;
  } finally {
    lock.release();
  }
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
