/** Facts about this machine that decide how stages run: Node, TensorFlow.js backends, GPUs, cache. */
import { availableParallelism, totalmem } from 'node:os';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { detectGpus } from '../exec/gpus.js';
import { cacheFromFlags } from './cache-dir.js';
import { dirSize, formatBytes } from './cache-walk.js';

const require = createRequire(import.meta.url);

function packageVersion(name: string): string | undefined {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return undefined;
  }
}

export async function doctorCommand(flags: { cache?: string }): Promise<number> {
  const lines: string[] = [];
  lines.push(`node        ${process.version} on ${process.platform}-${process.arch}, ${availableParallelism()} cores, ${formatBytes(totalmem())} memory`);
  const gpus = detectGpus();
  lines.push(`gpus        ${gpus.ids.length ? gpus.ids.join(',') : 'none'} (${gpus.how})`);
  lines.push('tensorflow.js backends (auto takes the first that works):');
  try {
    const { describeBackends, initBackend } = await import('../ml/backend.js');
    const chosen = await initBackend('auto');
    for (const c of (await describeBackends()).candidates) lines.push(`  ${c.name === chosen.name || (chosen.name === 'tensorflow' && c.name.startsWith('tfjs-node') && c.ok) ? '*' : ' '} ${c.name.padEnd(14)} ${c.ok ? 'available  ' : 'unavailable'} ${c.why}`);
    lines.push(`  active: ${chosen.name} on ${chosen.device} (${chosen.reason})`);
  } catch (err) {
    lines.push(`  cannot initialise TensorFlow.js: ${(err as Error).message}`);
  }
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-backend-wasm']) {
    const v = packageVersion(pkg);
    lines.push(`    ${pkg.padEnd(32)} ${v ? `installed ${v}` : 'not installed'}`);
  }
  const { layout } = cacheFromFlags(flags);
  lines.push(`cache       ${layout.root} (${existsSync(layout.root) ? formatBytes(dirSize(layout.root)) : 'not created yet'})`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
