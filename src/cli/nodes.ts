import { z } from 'zod';
import { listNodeNames, loadNode } from '../exec/node-registry.js';

export async function nodesCommand(name?: string): Promise<number> {
  if (!name) {
    for (const n of listNodeNames()) {
      const def = await loadNode(n);
      process.stdout.write(`${n.padEnd(24)} ${def.description.split('\n')[0]}\n`);
    }
    return 0;
  }
  const def = await loadNode(name);
  const ports = (p: typeof def.inputs) => Object.entries(p).map(([k, v]) => `  ${k}${v.optional ? '?' : ''}${v.many ? '[]' : ''}: ${[v.kind].flat().join('|')} — ${v.description}`).join('\n') || '  (none)';
  process.stdout.write(`${def.name} (version ${def.version})\n${def.description}\n\ninputs:\n${ports(def.inputs)}\noutputs:\n${ports(def.outputs)}\nparams (JSON Schema):\n${JSON.stringify(z.toJSONSchema(def.params, { unrepresentable: 'any' }), null, 2)}\n`);
  return 0;
}
