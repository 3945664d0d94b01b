/**
 * Loading the wasm backend on Node: pointing it at its .wasm binaries inside node_modules and
 * installing this project's training kernels.
 *
 * Threads: tfjs-backend-wasm 4.22 turns its multithreaded binary off on Node (its worker bootstrap
 * needs a browser Blob URL), so each process runs XNNPACK on one thread; `dag` gets parallelism by
 * running stages in separate processes instead.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { registerWasmTrainingKernels } from './wasm-kernels/register.js';

export interface WasmSupport {
  ok: boolean;
  simd: boolean;
  threads: number;
  /** One line for `dag doctor` and provenance, e.g. `wasm simd, 1 thread`. */
  summary: string;
}

function wasmDistDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
}

/** The SIMD probe the wasm backend itself uses, without initialising the backend. */
function simdSupported(): boolean {
  // tsconfig's lib has no DOM/WebAssembly values; Node provides the global.
  const wasmApi = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
  try {
    return wasmApi.validate(new Uint8Array([
      0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 9, 1, 7, 0, 65, 0, 253, 15, 26, 11,
    ]));
  } catch {
    return false;
  }
}

export async function probeWasmSupport(): Promise<WasmSupport> {
  let dir: string;
  try {
    dir = wasmDistDir();
  } catch {
    return { ok: false, simd: false, threads: 0, summary: '@tensorflow/tfjs-backend-wasm not installed' };
  }
  const simd = simdSupported();
  const binary = simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm';
  if (!existsSync(join(dir, binary))) {
    return { ok: false, simd, threads: 0, summary: `missing ${join(dir, binary)}` };
  }
  return { ok: true, simd, threads: 1, summary: describe(simd, 1) };
}

function describe(simd: boolean, threads: number): string {
  return `wasm ${simd ? 'simd' : 'no simd'}, ${threads} thread${threads === 1 ? '' : 's'}`;
}

let pathsSet = false;

/** Makes wasm the active backend with the training kernels installed; throws with the reason if it cannot. */
export async function loadWasmBackend(): Promise<WasmSupport> {
  const support = await probeWasmSupport();
  if (!support.ok) throw new Error(support.summary);
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (!pathsSet) {
    wasm.setWasmPaths(wasmDistDir());
    pathsSet = true;
  }
  registerWasmTrainingKernels();
  if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend failed to initialise');
  const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
  const threads = wasm.getThreadsCount();
  return { ok: true, simd, threads, summary: describe(simd, threads) };
}
