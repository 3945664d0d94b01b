/**
 * The contract between the engine and a built-in node (a stage kind under nodes/).
 *
 * A node is pure with respect to its declared inputs and params: the engine keys its result on
 * (node name, implementation digest, resolved params, input digests), so anything else a node reads
 * (clock, host, unseeded randomness) would make cached results lie.
 *
 * Every artifact is a directory. A node reads its inputs from directories the engine materialises
 * and writes each output into the empty directory the engine hands it; the engine then stores the
 * directory as a Merkle tree in the blob store. Directories keep artifacts language-agnostic (a `cmd`
 * stage can consume a model written by a node) and let one artifact hold several files
 * (model.json + weights.bin, images.npy + labels.npy + classes.json).
 */
import type { z } from 'zod';

/** What an artifact holds; checked when a pipeline wires an output to an input. */
export type ArtifactKind =
  | 'dataset' // images.npy (N,H,W) uint8 or float32, labels.npy int32, classes.json, meta.json
  | 'model' // model.json + weights.bin (TensorFlow.js layers format) + meta.json
  | 'predictions' // probs.npy (N,C) float32, optional logits.npy, labels.npy, classes.json
  | 'features' // features.npy (N,D) float32, labels.npy, classes.json
  | 'plan' // sampling/weighting plan: indices.npy and/or weights.npy, meta.json
  | 'metrics' // metrics.json
  | 'report' // index.html + assets
  | 'file'; // anything, e.g. the outputs of a cmd stage

export interface PortSpec {
  kind: ArtifactKind | ArtifactKind[];
  description: string;
  /** The stage may omit this input. */
  optional?: boolean;
  /** The input takes any number of artifacts (e.g. the models of an ensemble). */
  many?: boolean;
}

/** What a stage asks of the machine; the scheduler admits it when the pool has room. */
export interface Resources {
  cpu: number;
  gpu: number;
  /** In MiB; advisory on a single machine, used for admission when set. */
  memory?: number;
}

export interface InputArtifact {
  /** Directory (or, for a cmd stage's file output, the file) holding the artifact. */
  path: string;
  /** Content digest of the artifact (sha256 hex of its Merkle tree). */
  digest: string;
  /** The stage that produced it, e.g. `train@2`, or `file:data/raw.txt` for a workspace file. */
  producer: string;
  /** Output name on the producer (`model`, `outs[0]`, ...). */
  output: string;
}

export interface ProgressUpdate {
  step: number;
  total: number;
  /** What a step is: `batch`, `epoch`, `image`... */
  unit?: string;
  /** Free text, e.g. `epoch 3/20`. */
  label?: string;
  metrics?: Record<string, number>;
}

export type MetricValue = number | string | boolean | null;

export interface NodeContext<P> {
  /** Params after defaults and validation by the node's zod schema. */
  params: P;
  /** Id of the running stage (`train@2`), for messages only; never part of an output. */
  stageId: string;
  /** All artifacts wired to an input, in the pipeline's order; [] for an absent optional input. */
  inputs(name: string): InputArtifact[];
  /** The single artifact wired to an input; throws a user error when there is not exactly one. */
  input(name: string): InputArtifact;
  /** An empty directory to write the named output into. */
  outputDir(name: string): string;
  /** Per-step progress; rate-limited by the engine before it reaches a reporter. */
  progress(update: ProgressUpdate): void;
  /** Metrics of the result (accuracy, loss, ...). Merged; stored in the action cache and run history. */
  metrics(values: Record<string, MetricValue>): void;
  log(line: string): void;
  /** Aborted when the run is cancelled; long loops must check it between steps. */
  signal: AbortSignal;
  /**
   * A directory that survives a crash or kill of this stage and is handed to the retry of the same
   * key (training checkpoints live here). The engine removes it once the stage succeeds.
   */
  resumeDir: string;
  /** Concrete devices this stage holds (CPU slots, GPU ids), for provenance and device choice. */
  devices: { cpuSlots: number; gpuIds: number[] };
  /** Records provenance facts that must not enter the key (backend, device, library versions). */
  provenance(values: Record<string, string>): void;
}

export interface NodeDefinition<S extends z.ZodType = z.ZodType> {
  /** `family/name`, e.g. `ensemble/vote`; the name used in a pipeline's `node:` field. */
  name: string;
  /** Bump to invalidate cached results when behaviour changes in a way the source digest misses. */
  version: number;
  description: string;
  /** Zod schema of the params; defaults belong here so that resolved params enter the key. */
  params: S;
  inputs: Record<string, PortSpec>;
  outputs: Record<string, PortSpec>;
  resources?: Partial<Resources>;
  /**
   * Params that never change the result (e.g. a progress interval) and so stay out of the key.
   * Backend choice is one: it goes to provenance, not the key.
   */
  volatileParams?: string[];
  run(ctx: NodeContext<z.infer<S>>): Promise<void>;
}

/** Identity function that keeps the params type of a node definition inferred. */
export function defineNode<S extends z.ZodType>(def: NodeDefinition<S>): NodeDefinition<S> {
  return def;
}

/** An error a user can cause (bad data, bad params): reported as one clear message, exit code 2. */
export class NodeUserError extends Error {
  override name = 'NodeUserError';
}
