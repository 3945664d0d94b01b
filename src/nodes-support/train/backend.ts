/**
 * The `backend` param every model node takes: volatile (never in the key, since every backend
 * computes the same function up to rounding) and recorded in the stage's provenance instead.
 */
import { z } from 'zod';
import type { NodeContext } from '../../exec/node-contract.js';

export const backendParam = z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto');

/** Activates the backend the param (or DAG_BACKEND) asks for and records which one ran. */
export async function activateBackend(ctx: Pick<NodeContext<unknown>, 'provenance' | 'log'>, param: string): Promise<string> {
  const { initBackend, resolveBackendChoice } = await import('../../ml/backend.js');
  const active = await initBackend(resolveBackendChoice(param));
  ctx.provenance({ backend: active.name, device: active.device, backendReason: active.reason });
  ctx.log(`backend ${active.name} (${active.device})`);
  return active.name;
}
