/** GPUs to schedule on: --gpus, else CUDA_VISIBLE_DEVICES, else what nvidia-smi lists, else none. */
import { execFileSync } from 'node:child_process';

export function parseGpuList(text: string): number[] {
  return text.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0) throw new Error(`invalid GPU id "${s}"`);
    return n;
  });
}

export function detectGpus(): { ids: number[]; how: string } {
  if (process.env.CUDA_VISIBLE_DEVICES !== undefined) {
    return { ids: parseGpuList(process.env.CUDA_VISIBLE_DEVICES), how: 'CUDA_VISIBLE_DEVICES' };
  }
  try {
    const out = execFileSync('nvidia-smi', ['-L'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
    const ids = out.split('\n').filter((l) => /^GPU \d+/.test(l)).map((l) => Number(/^GPU (\d+)/.exec(l)![1]));
    return { ids, how: 'nvidia-smi' };
  } catch {
    return { ids: [], how: 'no nvidia-smi' };
  }
}
