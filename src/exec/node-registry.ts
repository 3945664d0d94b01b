/**
 * Finds built-in nodes by path (`ensemble/vote` = `<dist>/nodes/ensemble/vote.js`), plus any
 * directories in DAG_NODE_PATH (project-local nodes laid out the same way), loads them on demand and
 * digests their implementation for the stage key.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DagUserError } from '../util/user-error.js';
import { didYouMean } from '../util/did-you-mean.js';
import type { NodeDefinition } from './node-contract.js';
import { witness } from './read-witness.js';

const builtinRoot = fileURLToPath(new URL('../../nodes', import.meta.url));

function nodeRoots(): string[] {
  const extra = (process.env.DAG_NODE_PATH ?? '').split(':').filter(Boolean).map((p) => resolve(p));
  return [...extra, builtinRoot];
}

const NODE_FILE = /^[a-z0-9][a-z0-9-]*\.(js|mjs)$/;

/** The module file of a node, or undefined. Extra roots shadow built-ins of the same name. */
export function nodeModulePath(name: string): string | undefined {
  if (!/^[a-z0-9-]+\/[a-z0-9-]+$/.test(name)) return undefined;
  for (const root of nodeRoots()) {
    for (const ext of ['.js', '.mjs']) {
      const file = join(root, name + ext);
      // A node added later in an earlier root would shadow this one: the lookup is a fact too.
      witness(file);
      if (existsSync(file)) return file;
    }
  }
  return undefined;
}

export function listNodeNames(): string[] {
  const names = new Set<string>();
  for (const root of nodeRoots()) {
    if (!existsSync(root)) continue;
    for (const family of readdirSync(root)) {
      const dir = join(root, family);
      if (!statSync(dir).isDirectory()) continue;
      for (const f of readdirSync(dir)) if (NODE_FILE.test(f)) names.add(`${family}/${f.replace(/\.m?js$/, '')}`);
    }
  }
  return [...names].sort();
}

const loaded = new Map<string, Promise<NodeDefinition>>();

export function loadNode(name: string): Promise<NodeDefinition> {
  let p = loaded.get(name);
  if (!p) {
    const file = nodeModulePath(name);
    if (!file) return Promise.reject(new DagUserError(`unknown node "${name}"${didYouMean(name, listNodeNames())}`));
    p = import(pathToFileURL(file).href).then((mod: { default?: NodeDefinition }) => {
      const def = mod.default;
      if (!def || typeof def.run !== 'function' || def.name !== name) {
        throw new Error(`${file} must default-export defineNode({ name: '${name}', … })`);
      }
      return def;
    });
    loaded.set(name, p);
  }
  return p;
}

const digests = new Map<string, string>();
const IMPORT = /(?:from\s+|import\s*\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g;

/**
 * Digest of a node's module and every project module it imports (relative imports, transitively):
 * editing shared model code invalidates the nodes that use it. Package imports are pinned by the
 * lockfile and left out, so the key does not depend on where node_modules lives.
 */
export function nodeImplementationDigest(name: string): string {
  const cached = digests.get(name);
  if (cached) return cached;
  const entry = nodeModulePath(name);
  if (!entry) throw new DagUserError(`unknown node "${name}"${didYouMean(name, listNodeNames())}`);
  const seen = new Map<string, string>();
  const stack = [entry];
  while (stack.length) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    witness(file);
    const text = readFileSync(file, 'utf8').replace(/\n\/\/# sourceMappingURL=.*$/, '');
    seen.set(file, createHash('sha256').update(text).digest('hex'));
    for (const m of text.matchAll(IMPORT)) {
      const dep = resolve(dirname(file), m[1]!);
      if (existsSync(dep)) stack.push(dep);
    }
  }
  // Files are named by their path relative to the entry's root so the digest is location-free.
  const root = nodeRoots().find((r) => entry.startsWith(r))!;
  const base = dirname(root);
  const h = createHash('sha256');
  for (const [file, d] of [...seen].map(([f, d]) => [f.slice(base.length), d] as const).sort()) h.update(`${file}\0${d}\n`);
  const digest = h.digest('hex');
  digests.set(name, digest);
  return digest;
}
