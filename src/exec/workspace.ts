/**
 * Everything one command works on: the loaded pipeline and its graph, and the cache it reads and
 * writes. Opening it is all the parsing and validation a command does before it acts.
 */
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ActionCache } from '../cache/action-cache.js';
import { BlobStore } from '../cache/blob-store.js';
import { CacheLayout, defaultCacheDir } from '../cache/layout.js';
import { StatCache } from '../cache/stat-cache.js';
import { buildGraph, type StageGraph } from '../graph/build.js';
import { expandStages } from '../pipeline/expand.js';
import { loadPipeline, type LoadedPipeline, type Overrides } from '../pipeline/load.js';
import type { Stage } from '../pipeline/stage.js';
import { StageIndex } from '../state/stage-index.js';
import { setYamlParseCache } from '../pipeline/yaml-source.js';
import { findProjectRoot } from './project-root.js';

export interface CacheHandles {
  layout: CacheLayout;
  stats: StatCache;
  blobs: BlobStore;
  actions: ActionCache;
}

export interface Workspace extends CacheHandles {
  pipeline: LoadedPipeline;
  stages: Stage[];
  graph: StageGraph;
  /** Directory containing .git or .dag above the pipeline (else the pipeline's directory). */
  projectRoot: string;
  /** The pipeline's path relative to the project root: its identity across checkouts. */
  pipelineId: string;
  index: StageIndex;
}

export { findProjectRoot };

export function openCache(cacheDir: string): CacheHandles {
  const layout = new CacheLayout(cacheDir);
  const stats = new StatCache(layout.statCache);
  return { layout, stats, blobs: new BlobStore(layout, stats), actions: new ActionCache(layout) };
}

export async function openWorkspace(file: string, opts: { cache?: string; overrides?: Overrides } = {}): Promise<Workspace> {
  const projectRoot = findProjectRoot(dirname(resolve(file)));
  const cache = openCache(defaultCacheDir(projectRoot, opts.cache));
  setYamlParseCache(cache.layout.parsed);
  const pipeline = loadPipeline(file, opts.overrides);
  const stages = expandStages(pipeline);
  const graph = await buildGraph(stages);
  const pipelineId = relative(projectRoot, pipeline.source.absPath).split('\\').join('/');
  return { ...cache, pipeline, stages, graph, projectRoot, pipelineId, index: new StageIndex(cache.layout.root, pipelineId) };
}
