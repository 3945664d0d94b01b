/** Re-hashes every blob and checks every action entry; evicts what is corrupt so it is recomputed. */
import { basename } from 'node:path';
import { rmSync } from 'node:fs';
import { sha256File } from '../cache/hash.js';
import { RunLock } from '../exec/run-lock.js';
import { cacheFromFlags } from './cache-dir.js';
import { walkFiles } from './cache-walk.js';

export async function verifyCommand(flags: { cache?: string }): Promise<number> {
  const { layout, actions, blobs, stats } = cacheFromFlags(flags);
  layout.ensure();
  const lock = new RunLock(layout.lock);
  await lock.acquire('dag verify', (holder) => process.stderr.write(`waiting for the cache lock held by ${holder}\n`));
  try {
    let nBlobs = 0;
    let corrupt = 0;
    for (const f of walkFiles(layout.blobs)) {
      if (f.name.startsWith('.')) continue;
      nBlobs++;
      const digest = basename(f.parent) + f.name;
      const { digest: actual } = await sha256File(f.path, f.size);
      if (actual !== digest) {
        corrupt++;
        process.stdout.write(`corrupt blob ${digest.slice(0, 12)} (hashes to ${actual.slice(0, 12)}): evicted\n`);
        blobs.evict(digest);
      }
    }
    let nEntries = 0;
    let badEntries = 0;
    for (const f of walkFiles(layout.actions)) {
      if (f.name.startsWith('.')) continue;
      nEntries++;
      const key = basename(f.parent) + f.name.replace(/\.json$/, '');
      const hit = actions.get(key);
      let problem = hit.status === 'corrupt' ? hit.reason : undefined;
      if (hit.status === 'hit') {
        for (const [name, out] of Object.entries(hit.result.outputs)) {
          try {
            await blobs.verify(out);
          } catch (err) {
            problem = `output ${name}: ${(err as Error).message}`;
            break;
          }
        }
      }
      if (problem) {
        badEntries++;
        process.stdout.write(`cache entry ${key.slice(0, 12)} (${hit.status === 'hit' ? hit.result.stageId : '?'}): ${problem}: removed\n`);
        rmSync(f.path, { force: true });
      }
    }
    stats.save();
    process.stdout.write(`verified ${nBlobs} blobs and ${nEntries} cache entries: ${corrupt} corrupt blobs, ${badEntries} broken entries\n`);
    return corrupt || badEntries ? 1 : 0;
  } finally {
    lock.release();
  }
}
