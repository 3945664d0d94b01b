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
  lines.push('tensorflow.js backends:');
  try {
    const { describeBackends } = (await import('../ml/backend.js' as string)) as { describeBackends: () => Promise<{ name: string; available: boolean; why: string; active?: boolean }[]> };
    for (const b of await describeBackends()) lines.push(`  ${b.active ? '*' : ' '} ${b.name.padEnd(12)} ${b.available ? 'available' : 'unavailable'}: ${b.why}`);
  } catch {
    for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-cpu']) {
      const v = packageVersion(pkg);
      lines.push(`    ${pkg.padEnd(32)} ${v ? `installed ${v}` : 'not installed'}`);
    }
  }
  const { layout } = cacheFromFlags(flags);
  lines.push(`cache       ${layout.root} (${existsSync(layout.root) ? formatBytes(dirSize(layout.root)) : 'not created yet'})`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
