#!/usr/bin/env node
// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time by module and by function, and
// inclusive time of the functions that matter, as JSON (default) or markdown (--md).
//   profile-summary.mjs FILE.cpuprofile [--top N] [--md] [--title TEXT]
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Generated line (0-based) → original line (1-based) of its first mapped segment, from a v3 source map. */
function lineMap(mapFile) {
  const map = JSON.parse(readFileSync(mapFile, 'utf8'));
  const lines = [];
  let srcLine = 0;
  map.mappings.split(';').forEach((group, genLine) => {
    let first;
    for (const seg of group.split(',')) {
      if (!seg) continue;
      const fields = [];
      let value = 0, shift = 0;
      for (const ch of seg) {
        const digit = B64.indexOf(ch);
        value += (digit & 31) << shift;
        if (digit & 32) { shift += 5; continue; }
        fields.push(value & 1 ? -(value >> 1) : value >> 1);
        value = 0; shift = 0;
      }
      if (fields.length >= 4) {
        srcLine += fields[2];
        if (first === undefined) first = srcLine + 1;
      }
    }
    lines[genLine] = first;
  });
  return lines;
}

const maps = new Map();
/** Line in the TypeScript source for a compiled dist/ file, when its source map is there. */
function originalLine(url, line0) {
  if (!url.startsWith('file://') || !url.includes('/dist/')) return line0 + 1;
  if (!maps.has(url)) {
    const mapFile = fileURLToPath(url) + '.map';
    maps.set(url, existsSync(mapFile) ? lineMap(mapFile) : null);
  }
  const lines = maps.get(url);
  if (!lines) return line0 + 1;
  for (let l = line0; l >= 0; l--) if (lines[l] !== undefined) return lines[l];
  return line0 + 1;
}

/** Groups a script URL into something a reader can act on: a src/ module, a package, or Node itself. */
export function moduleOf(url) {
  if (!url) return '(native / V8)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return `npm:${rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + '/dist/'.length).replace(/\.js$/, '.ts');
  if (url.startsWith('node:internal/modules') || url.startsWith('node:internal/vm')) return 'node: module loading';
  if (url.startsWith('node:')) return `node: ${url.slice(5).replace(/^internal\//, '').split('/')[0]}`;
  const bin = url.indexOf('/bin/');
  if (bin >= 0) return url.slice(bin + 1);
  return url;
}

export function summarise(profile, top = 15) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const fnKey = (n) => {
    const cf = n.callFrame;
    const name = cf.functionName || (cf.url ? '(anonymous)' : cf.functionName);
    if (!cf.url) return name || '(root)';
    return `${moduleOf(cf.url)}:${originalLine(cf.url, cf.lineNumber)} ${name}`;
  };
  const selfUs = new Map();
  const selfFn = new Map();
  const selfMod = new Map();
  const incl = new Map();
  let total = 0;
  const deltas = profile.timeDeltas ?? [];
  profile.samples.forEach((id, i) => {
    // timeDeltas[i+1] is the time until the next sample: the time attributed to sample i.
    const dt = deltas[i + 1] ?? 0;
    total += dt;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const k = fnKey(byId.get(cur));
      if (seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + dt);
    }
  });
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    const name = n.callFrame.functionName;
    const special = !n.callFrame.url && /^\(.*\)$/.test(name) ? name : undefined;
    const mod = special ?? moduleOf(n.callFrame.url);
    const fk = special ?? fnKey(n);
    selfMod.set(mod, (selfMod.get(mod) ?? 0) + us);
    selfFn.set(fk, (selfFn.get(fk) ?? 0) + us);
  }
  const rank = (m, filter = () => true) =>
    [...m.entries()].filter(([k]) => filter(k)).sort((a, b) => b[1] - a[1]).slice(0, top)
      .map(([k, us]) => ({ name: k, ms: Math.round(us / 1000), pct: Math.round((1000 * us) / total) / 10 }));
  const ours = (k) => /^(src|nodes|bin)\//.test(k);
  return {
    totalMs: Math.round(total / 1000),
    selfByModule: rank(selfMod),
    selfByFunction: rank(selfFn),
    // Inclusive time of our own functions: which phase of the command the time goes to.
    inclusiveOurs: rank(incl, ours),
  };
}

function toMarkdown(s, title) {
  const table = (rows, head) => [
    `| ${head} | ms | % |`, '|---|---:|---:|',
    ...rows.map((r) => `| \`${r.name}\` | ${r.ms} | ${r.pct} |`),
  ].join('\n');
  return [
    `#### ${title} (sampled ${s.totalMs} ms)`, '',
    'Self time by module:', '', table(s.selfByModule, 'module'), '',
    'Self time by function:', '', table(s.selfByFunction, 'function'), '',
    'Inclusive time of dag\'s own functions:', '', table(s.inclusiveOurs, 'function'), '',
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const file = args[0];
  const top = args.includes('--top') ? Number(args[args.indexOf('--top') + 1]) : 15;
  const title = args.includes('--title') ? args[args.indexOf('--title') + 1] : file;
  const s = summarise(JSON.parse(readFileSync(file, 'utf8')), top);
  process.stdout.write(args.includes('--md') ? toMarkdown(s, title) : JSON.stringify(s, null, 2) + '\n');
}

export { toMarkdown };
