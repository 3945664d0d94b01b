/**
 * What the coordinator (`dag run --executor bullmq`) and workers (`dag worker`) exchange through
 * Redis: one BullMQ queue per resource class, a job per stage run, and a pub/sub channel per run on
 * which workers stream the stage's events back. Bytes never travel through Redis: inputs and
 * outputs go through the remote cache, by digest.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { ActionResult } from '../../cache/action-cache.js';
import type { ArtifactSource } from '../../graph/build.js';
import type { MetricValue, ProgressUpdate, Resources } from '../node-contract.js';
import { DagUserError } from '../../util/user-error.js';

export type ResourceClass = 'cpu' | 'gpu';

/** BullMQ queue names (BullMQ forbids ':' in them). */
export function queueName(cls: ResourceClass): string {
  return `dag-${cls}`;
}

export function resourceClassOf(resources: Resources): ResourceClass {
  return resources.gpu > 0 ? 'gpu' : 'cpu';
}

export function eventChannel(runId: string): string {
  return `dag:events:${runId}`;
}

/** An artifact the worker puts into its workspace at `path` before the stage runs. */
export interface WorkspaceFile {
  path: string;
  type: 'file' | 'tree';
  digest: string;
  size: number;
}

/** The stage as the worker needs it: what to run, never where it came from in the YAML. */
export type StageSpec =
  | { kind: 'cmd'; id: string; name: string; cmd: string | string[]; outs: string[]; params: Record<string, unknown>; resources: Resources }
  | { kind: 'node'; id: string; name: string; node: string; params: Record<string, unknown>; resources: Resources };

export interface StageJob {
  runId: string;
  stageId: string;
  key: string;
  preimage: ActionResult['preimage'];
  labels: Record<string, string>;
  stage: StageSpec;
  /** Output names (node outputs or normalised cmd outs). */
  outputs: string[];
  /** Deps and file/cmd-out inputs, placed in the worker's temp workspace at their paths. */
  workspaceFiles: WorkspaceFile[];
  inputs: Record<string, { type: 'file' | 'tree'; digest: string; size: number; source: ArtifactSource; label: string }[]>;
  /** Producers of inputs that are cmd stages (their outs are workspace files, not checkouts). */
  cmdProducers: string[];
  /** --force: run even if the remote already has the key. */
  force: boolean;
}

/** Streamed from a worker while it runs a job. */
export type WorkerEvent =
  | { stageId: string; kind: 'started'; worker: string; attempt: number }
  | { stageId: string; kind: 'log'; stream: 'stdout' | 'stderr' | 'node'; line: string }
  | { stageId: string; kind: 'progress'; update: ProgressUpdate }
  | { stageId: string; kind: 'metrics'; values: Record<string, MetricValue> };

/** A failure of the stage itself (not of the machinery): never retried, reported as the stage's error. */
export const STAGE_FAILURE = 'stage failed: ';
export const USER_FAILURE = 'stage failed (input error): ';

/** ioredis connection for BullMQ: commands wait through a reconnect instead of failing at once. */
export function redisConnection(url: string, extra: RedisOptions = {}): Redis {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DagUserError(`--redis: "${url}" is not a URL (e.g. redis://host:6379)`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new DagUserError(`--redis: expected redis:// or rediss://, got ${url}`);
  return new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    ...extra,
  });
}

/** The URL without a password, for messages. */
export function displayRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.href;
  } catch {
    return url;
  }
}
