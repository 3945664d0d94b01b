/**
 * Models on disk in the TensorFlow.js layers format: `model.json` (topology + weights manifest)
 * and `weights.bin`, plus an optional `meta.json` of our own. Reading and writing go through
 * in-memory IO handlers over node:fs rather than tfjs-node's `file://` scheme, so they work on
 * every backend (wasm, cpu, tensorflow). Importing this module registers the custom layers, so a
 * model that uses them reloads.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NodeUserError } from '../../exec/node-contract.js';
import '../layers/index.js';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';
export const META_JSON = 'meta.json';

async function writeAtomically(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/** Writes `model` (and `meta`, when given) into `dir`, creating it. */
export async function saveModel(model: tf.LayersModel, dir: string, meta?: Record<string, unknown>): Promise<void> {
  await mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = artifacts.weightData ? tf.io.CompositeArrayBuffer.join(artifacts.weightData) : new ArrayBuffer(0);
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as tf.io.ModelJSON['modelTopology'],
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
      };
      // Weights first: a model.json is only ever next to the weights it describes.
      await writeAtomically(join(dir, WEIGHTS_BIN), new Uint8Array(weights));
      await writeAtomically(join(dir, MODEL_JSON), JSON.stringify(modelJson));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  if (meta) await writeAtomically(join(dir, META_JSON), JSON.stringify(meta, null, 2));
}

async function readOrUserError(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NodeUserError(`${what}: ${path} does not exist`);
    throw e;
  }
}

/** Reads a model written by saveModel (or any tfjs layers-format directory). */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  const jsonPath = join(dir, MODEL_JSON);
  let modelJson: tf.io.ModelJSON;
  try {
    modelJson = JSON.parse((await readOrUserError(jsonPath, 'model')).toString('utf8')) as tf.io.ModelJSON;
  } catch (e) {
    if (e instanceof SyntaxError) throw new NodeUserError(`model: ${jsonPath} is not valid JSON (${e.message})`);
    throw e;
  }
  if (!modelJson.modelTopology) throw new NodeUserError(`model: ${jsonPath} has no modelTopology`);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  for (const group of modelJson.weightsManifest ?? []) {
    specs.push(...group.weights);
    for (const p of group.paths) buffers.push(await readOrUserError(join(dir, p), 'model weights'));
  }
  const weightData = new Uint8Array(buffers.reduce((n, b) => n + b.length, 0));
  let offset = 0;
  for (const b of buffers) {
    weightData.set(b, offset);
    offset += b.length;
  }
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: modelJson.modelTopology,
    format: modelJson.format,
    generatedBy: modelJson.generatedBy,
    convertedBy: modelJson.convertedBy,
    weightSpecs: specs,
    weightData: weightData.buffer,
  };
  try {
    return await tf.loadLayersModel({ load: async () => artifacts });
  } catch (e) {
    throw new NodeUserError(`model: cannot load ${dir}: ${(e as Error).message}`);
  }
}

/** The meta.json written next to a model, or null. */
export async function readModelMeta(dir: string): Promise<Record<string, unknown> | null> {
  try {
    return JSON.parse(await readFile(join(dir, META_JSON), 'utf8')) as Record<string, unknown>;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new NodeUserError(`model: ${join(dir, META_JSON)} is unreadable: ${(e as Error).message}`);
  }
}
