import { loadPipeline } from '../pipeline/load.js';
import { expandStages } from '../pipeline/expand.js';
import { buildGraph, type StageGraph } from '../graph/build.js';
import type { PipelineFlags } from './main.js';

export async function graphCommand(file: string, flags: PipelineFlags & { format: 'text' | 'mermaid' | 'dot' }): Promise<number> {
  const graph = await buildGraph(expandStages(loadPipeline(file, { set: flags.set, paramFiles: flags.params })));
  process.stdout.write(renderGraph(graph, flags.format) + '\n');
  return 0;
}

export function renderGraph(graph: StageGraph, format: 'text' | 'mermaid' | 'dot'): string {
  const kind = (id: string) => {
    const s = graph.stages.get(id)!.stage;
    return s.kind === 'cmd' ? 'cmd' : s.node;
  };
  if (format === 'mermaid') {
    const ids = new Map(graph.order.map((id, i) => [id, `s${i}`]));
    const lines = ['graph TD'];
    for (const id of graph.order) lines.push(`  ${ids.get(id)}["${id}<br/><small>${kind(id)}</small>"]`);
    for (const id of graph.order) for (const d of graph.stages.get(id)!.downstream) lines.push(`  ${ids.get(id)} --> ${ids.get(d)}`);
    return lines.join('\n');
  }
  if (format === 'dot') {
    const q = (s: string) => JSON.stringify(s);
    const lines = ['digraph dag {', '  rankdir=LR;', '  node [shape=box, fontname="Helvetica"];'];
    for (const id of graph.order) lines.push(`  ${q(id)} [label=${q(`${id}\n${kind(id)}`)}];`);
    for (const id of graph.order) for (const d of graph.stages.get(id)!.downstream) lines.push(`  ${q(id)} -> ${q(d)};`);
    lines.push('}');
    return lines.join('\n');
  }
  return graph.order
    .map((id) => {
      const gs = graph.stages.get(id)!;
      return `${id}  [${kind(id)}]${gs.upstream.length ? `  ← ${gs.upstream.join(', ')}` : ''}`;
    })
    .join('\n');
}
