/** Concrete stages: what a pipeline is once includes are merged and foreach/matrix expanded. */
import type { Resources } from '../exec/node-contract.js';
import type { StageOrigin } from './load.js';
import type { YamlPath } from './yaml-source.js';

/** A reference to artifacts, as written in `inputs:`, parsed. */
export type InputRef =
  | {
      kind: 'stage';
      text: string;
      /** Template stage name (`train`). */
      stage: string;
      /** `*` for all variants, a variant suffix (`1`, `lr=0.1`), or undefined for an unexpanded stage. */
      variant?: string;
      /** Output name; undefined means "the stage's only output" (or all outs of a cmd stage). */
      output?: string;
      /** YAML path of the reference, for errors. */
      path: YamlPath;
    }
  | { kind: 'file'; text: string; file: string; path: YamlPath };

interface StageCommon {
  /** `train` or `train@2`: unique in the pipeline, the name every command and report uses. */
  id: string;
  /** Name in the pipeline file (`train`). */
  name: string;
  /** Variant suffix after `@`, for foreach/matrix stages. */
  variant?: string;
  origin: StageOrigin;
  resources: Resources;
  desc?: string;
  inputs: Record<string, InputRef[]>;
  /** Workspace files or directories whose content enters the key, relative to the pipeline dir. */
  deps: string[];
}

export interface CmdStage extends StageCommon {
  kind: 'cmd';
  /** A string runs under /bin/sh; a list is an argv. May still hold `${inputs.x}`. */
  cmd: string | string[];
  outs: string[];
  /** Declared param names and their values, the only params in the key besides those inlined in cmd. */
  params: Record<string, unknown>;
}

export interface NodeStage extends StageCommon {
  kind: 'node';
  node: string;
  /** Params as written after interpolation; the node's schema adds defaults when the stage is keyed. */
  params: Record<string, unknown>;
}

export type Stage = CmdStage | NodeStage;
