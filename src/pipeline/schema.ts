/**
 * Zod schemas of a pipeline file, as written (before includes, interpolation and expansion).
 * They are the single source of truth for validation and for `dag schema` (JSON Schema for editors).
 */
import { z } from 'zod';

const scalar = z.union([z.string(), z.number(), z.boolean()]);
/** `${params.seeds}` and the like: expanded to a list before use. */
const interpolation = z.string().regex(/^\$\{[^}]+\}$/, 'expected a list, a mapping or a single ${…} reference');

export const resourcesSchema = z
  .strictObject({
    cpu: z.number().positive().describe('CPU slots the stage holds (default 1)').optional(),
    gpu: z.number().int().min(0).describe('GPUs the stage holds; it gets their ids in CUDA_VISIBLE_DEVICES').optional(),
    memory: z.number().positive().describe('MiB of memory the stage needs (admission only when set)').optional(),
  })
  .describe('What the stage asks of the machine');

/** A reference to outputs of other stages: `stage`, `stage.output`, `stage.*.output`, `stage@1.output`, `file:path`. */
export const inputRefSchema = z.string().min(1);
export const inputsSchema = z
  .record(z.string(), z.union([inputRefSchema, z.array(inputRefSchema)]))
  .describe('Named inputs: references to other stages\' outputs (stage.output, stage.*.output) or file:path');

const variantFields = {
  foreach: z
    .union([z.array(z.union([scalar, z.record(z.string(), z.unknown())])), z.record(z.string(), z.unknown()), interpolation])
    .describe('One variant per item (${item}; for a mapping also ${key}), named stage@item')
    .optional(),
  matrix: z
    .record(z.string(), z.union([z.array(scalar), interpolation]))
    .describe('Cartesian product of the lists (${matrix.k}), named stage@k1=v1,k2=v2')
    .optional(),
  desc: z.string().describe('Free text shown by status and graph').optional(),
  resources: resourcesSchema.optional(),
};

export const cmdStageSchema = z.strictObject({
  cmd: z
    .union([z.string().min(1), z.array(z.union([z.string(), z.number()])).min(1)])
    .describe('A string is run by /bin/sh; a list is an argv, run without a shell'),
  deps: z.array(z.string().min(1)).describe('Files or directories the command reads (relative to the pipeline file)').optional(),
  outs: z.array(z.string().min(1)).describe('Files or directories the command writes; restored from the cache on a hit').optional(),
  params: z.array(z.string().min(1)).describe('Names of pipeline params that enter this stage\'s key').optional(),
  inputs: inputsSchema.optional(),
  ...variantFields,
});

export const nodeStageSchema = z.strictObject({
  node: z.string().min(1).describe('A built-in node, family/name (see `dag nodes`)'),
  inputs: inputsSchema.optional(),
  params: z.record(z.string(), z.unknown()).describe('The node\'s params, validated by its schema').optional(),
  deps: z.array(z.string().min(1)).describe('Extra files whose content enters the key').optional(),
  ...variantFields,
});

export const stageSchema = z.union([cmdStageSchema, nodeStageSchema]);

export const pipelineFileSchema = z.strictObject({
  params: z.record(z.string(), z.unknown()).describe('Pipeline params, referenced as ${params.name}').optional(),
  include: z.array(z.string().min(1)).describe('Fragments merged into this file before validation (paths relative to it)').optional(),
  extends: z.string().min(1).describe('A base pipeline whose params and stages this file overrides').optional(),
  stages: z.record(z.string(), z.union([stageSchema, z.null()])).describe('The stages; null removes a stage inherited through extends').optional(),
});

export type RawCmdStage = z.infer<typeof cmdStageSchema>;
export type RawNodeStage = z.infer<typeof nodeStageSchema>;
export type RawStage = RawCmdStage | RawNodeStage;

export function pipelineJsonSchema(): unknown {
  return {
    ...z.toJSONSchema(pipelineFileSchema, { unrepresentable: 'any' }),
    title: 'dag pipeline',
  };
}
