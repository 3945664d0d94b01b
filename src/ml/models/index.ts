/**
 * Model architectures shared by the training nodes. `buildModel` turns a validated spec into an
 * uncompiled tf.LayersModel whose single output is logits (apply softmax for probabilities); the
 * seed fixes every initial weight.
 */
import * as tf from '@tensorflow/tfjs';
import { NodeUserError } from '../../exec/node-contract.js';
import { Rng } from '../rng.js';
import { LayerFactory } from './builder.js';
import { buildCnn } from './cnn.js';
import { buildMobilenetV2 } from './mobilenetv2.js';
import { buildResnet } from './resnet.js';
import { modelSpecSchema, type ModelSpec, type ModelSpecInput } from './spec.js';

export * from './spec.js';
export { roundChannels } from './builder.js';

export interface BuildOptions {
  /** Fixes the initial weights (default 0). */
  seed?: number;
  /** Model name in model.json. */
  name?: string;
}

/** Validates a spec, naming the offending field in a NodeUserError. */
export function parseModelSpec(spec: ModelSpecInput): ModelSpec {
  const parsed = modelSpecSchema.safeParse(spec);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new NodeUserError(`invalid model spec: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

export function buildModel(specInput: ModelSpecInput, options: BuildOptions = {}): tf.LayersModel {
  const spec = parseModelSpec(specInput);
  const rng = Rng.stream(options.seed ?? 0, 'init');
  const f = new LayerFactory(spec, rng);
  const input = tf.input({ shape: spec.inputShape, name: 'image' });
  const build = { cnn: buildCnn, resnet: buildResnet, mobilenetv2: buildMobilenetV2 }[spec.arch];
  const logits = build(spec, f, input);
  return tf.model({ inputs: input, outputs: logits, name: options.name ?? spec.arch });
}

/** Trainable and total parameter counts. */
export function countParams(model: tf.LayersModel): { trainable: number; total: number } {
  const size = (ws: tf.LayerVariable[]) =>
    ws.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
  return { trainable: size(model.trainableWeights), total: size(model.weights) };
}
