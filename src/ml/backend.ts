/**
 * Which TensorFlow.js backend a process computes on.
 *
 * `auto` prefers native TensorFlow (tfjs-node-gpu with a visible GPU, then tfjs-node), then the
 * wasm backend (XNNPACK, SIMD) with this project's training kernels, then the pure-JS `cpu`
 * backend. tfjs-node and tfjs-node-gpu are optional peer dependencies: their install downloads
 * libtensorflow, which many machines cannot reach, so they are imported dynamically by a name the
 * compiler does not resolve and every failure is recorded as a reason rather than thrown.
 *
 * The chosen backend and device belong in a result's provenance, never in its cache key.
 */
import * as tf from '@tensorflow/tfjs';
import { NodeUserError } from '../exec/node-contract.js';
import { loadWasmBackend, probeWasmSupport } from './backend-wasm.js';

export const BACKEND_CHOICES = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** A concrete backend, named as TensorFlow.js registers it. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

/** One candidate considered while choosing, e.g. `{name: 'tfjs-node-gpu', ok: false, why: '...'}`. */
export interface BackendAttempt {
  /** The package or backend tried: `tfjs-node-gpu`, `tfjs-node`, `wasm` or `cpu`. */
  name: string;
  ok: boolean;
  why: string;
}

export interface ActiveBackend {
  name: BackendName;
  /** Why this backend was chosen, e.g. `auto: tfjs-node-gpu and tfjs-node not installed`. */
  reason: string;
  /** Where tensors are computed: `gpu`, `cpu (libtensorflow)`, `cpu (wasm simd, 1 thread)`, `cpu (js)`. */
  device: string;
  tried: BackendAttempt[];
}

/** The user asked for a backend this machine cannot provide. */
export class BackendUnavailableError extends NodeUserError {
  override name = 'BackendUnavailableError';
}

/** `DAG_BACKEND` wins over a stage/pipeline param so one run can be redirected without editing files. */
export function resolveBackendChoice(
  param: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): BackendChoice {
  const fromEnv = env.DAG_BACKEND?.trim();
  const raw = fromEnv ? fromEnv : (param ?? 'auto');
  if (!(BACKEND_CHOICES as readonly string[]).includes(raw)) {
    const where = fromEnv ? 'DAG_BACKEND' : 'backend';
    throw new BackendUnavailableError(
      `${where}: unknown backend "${raw}"; expected one of ${BACKEND_CHOICES.join(', ')}`,
    );
  }
  return raw as BackendChoice;
}

type NativePackage = 'tfjs-node-gpu' | 'tfjs-node';

/** The slice of tfjs-node's module and backend this file uses; their types need not be installed. */
interface NativeBackendLike {
  isUsingGpuDevice?: () => boolean;
}

function describeError(e: unknown): string {
  const code = (e as { code?: string } | null)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return 'not installed';
  const message = e instanceof Error ? e.message : String(e);
  return message.split('\n')[0]!.slice(0, 200);
}

/**
 * Imports a native package (which registers the `tensorflow` backend) and activates it. Returns
 * whether it computes on a GPU; throws with a reason when it cannot be used.
 */
async function loadNative(pkg: NativePackage): Promise<{ gpu: boolean }> {
  // A variable specifier keeps tsc from resolving (and demanding types for) the optional package.
  const specifier: string = `@tensorflow/${pkg}`;
  await import(specifier);
  if (!(await tf.setBackend('tensorflow'))) throw new Error('tensorflow backend failed to initialise');
  const backend = tf.backend() as unknown as NativeBackendLike;
  return { gpu: backend.isUsingGpuDevice?.() === true };
}

async function tryNative(pkg: NativePackage, needGpu: boolean): Promise<BackendAttempt & { gpu?: boolean }> {
  try {
    const { gpu } = await loadNative(pkg);
    if (needGpu && !gpu) return { name: pkg, ok: false, why: 'loaded but sees no GPU' };
    return { name: pkg, ok: true, why: gpu ? 'GPU visible' : 'libtensorflow on CPU', gpu };
  } catch (e) {
    return { name: pkg, ok: false, why: describeError(e) };
  }
}

async function tryWasm(): Promise<BackendAttempt & { device?: string }> {
  try {
    const support = await loadWasmBackend();
    return { name: 'wasm', ok: true, why: support.summary, device: `cpu (${support.summary})` };
  } catch (e) {
    return { name: 'wasm', ok: false, why: describeError(e) };
  }
}

async function tryCpu(): Promise<BackendAttempt> {
  const ok = await tf.setBackend('cpu');
  return { name: 'cpu', ok, why: ok ? 'pure JavaScript, always available' : 'failed to initialise' };
}

let active: { choice: BackendChoice; result: ActiveBackend } | undefined;

/**
 * Makes `choice` the process's TensorFlow.js backend and says why. An explicit choice that cannot
 * be honoured throws {@link BackendUnavailableError}; `auto` always ends on some backend.
 * Calling again with the same choice returns the first result.
 */
export async function initBackend(choice: BackendChoice = 'auto'): Promise<ActiveBackend> {
  if (active?.choice === choice && tf.getBackend() === active.result.name) return active.result;
  const tried: BackendAttempt[] = [];
  const result = await choose(choice, tried);
  active = { choice, result };
  return result;
}

async function choose(choice: BackendChoice, tried: BackendAttempt[]): Promise<ActiveBackend> {
  const failed = () => tried.filter((t) => !t.ok).map((t) => `${t.name}: ${t.why}`).join('; ');

  if (choice === 'auto' || choice === 'tensorflow') {
    const gpu = await tryNative('tfjs-node-gpu', choice === 'auto');
    tried.push(gpu);
    if (gpu.ok) {
      return { name: 'tensorflow', reason: `${choice}: tfjs-node-gpu, ${gpu.why}`, device: gpu.gpu ? 'gpu' : 'cpu (libtensorflow)', tried };
    }
    const cpuNative = await tryNative('tfjs-node', false);
    tried.push(cpuNative);
    if (cpuNative.ok) {
      return { name: 'tensorflow', reason: `${choice}: tfjs-node (${failed()})`, device: 'cpu (libtensorflow)', tried };
    }
    if (choice === 'tensorflow') {
      throw new BackendUnavailableError(
        `backend "tensorflow" is unavailable (${failed()}); install it with ` +
          '`npm install @tensorflow/tfjs-node` (or @tensorflow/tfjs-node-gpu), or use backend: auto',
      );
    }
  }

  if (choice === 'auto' || choice === 'wasm') {
    const { device, ...wasm } = await tryWasm();
    tried.push(wasm);
    if (wasm.ok) {
      const reason = choice === 'auto' ? `auto: wasm (${failed()})` : 'wasm: requested';
      return { name: 'wasm', reason, device: device!, tried };
    }
    if (choice === 'wasm') {
      throw new BackendUnavailableError(`backend "wasm" is unavailable: ${wasm.why}`);
    }
  }

  const cpu = await tryCpu();
  tried.push(cpu);
  if (!cpu.ok) throw new BackendUnavailableError(`backend "cpu" is unavailable: ${cpu.why}`);
  const reason = choice === 'auto' ? `auto: cpu (${failed()})` : 'cpu: requested';
  return { name: 'cpu', reason, device: 'cpu (js)', tried };
}

export interface BackendReport {
  /** The backend this process computes on now, if one was initialised through {@link initBackend}. */
  active: ActiveBackend | undefined;
  /** Every candidate `auto` would consider, in order, and whether it could be used here. */
  candidates: BackendAttempt[];
}

/**
 * What `dag doctor` prints. Probing the native packages imports them (they register a backend as a
 * side effect) but never switches the active backend.
 */
export async function describeBackends(): Promise<BackendReport> {
  const candidates: BackendAttempt[] = [];
  for (const pkg of ['tfjs-node-gpu', 'tfjs-node'] as const) {
    try {
      const specifier: string = `@tensorflow/${pkg}`;
      await import(specifier);
      candidates.push({ name: pkg, ok: true, why: 'installed' });
    } catch (e) {
      candidates.push({ name: pkg, ok: false, why: describeError(e) });
    }
  }
  const wasm = await probeWasmSupport();
  candidates.push({ name: 'wasm', ok: wasm.ok, why: wasm.summary });
  candidates.push({ name: 'cpu', ok: true, why: 'pure JavaScript, always available' });
  return { active: active?.result, candidates };
}
