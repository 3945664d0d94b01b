/**
 * Penultimate-layer embeddings: a view of a trained classifier that stops at the input of its
 * classifier (the last dense layer, after any dropout, which is the identity at inference), or at
 * a named layer. Feature classifiers (features/lda, features/gbdt) and prototypes run on these.
 */
import * as tf from '@tensorflow/tfjs';
import { NodeUserError } from '../exec/node-contract.js';

/** The model's layers up to `layer` (or the classifier's input), globally average-pooled if spatial. */
export function embeddingModel(model: tf.LayersModel, layer: string | null, where: string): { model: tf.LayersModel; layer: string } {
  let output: tf.SymbolicTensor;
  let name: string;
  if (layer) {
    const found = model.layers.find((l) => l.name === layer);
    if (!found) throw new NodeUserError(`${where} has no layer "${layer}" (layers: ${model.layers.map((l) => l.name).join(', ')})`);
    output = found.output as tf.SymbolicTensor;
    name = layer;
  } else {
    const dense = [...model.layers].reverse().find((l) => l.getClassName() === 'Dense');
    if (!dense) throw new NodeUserError(`${where} has no dense classifier layer; name the layer to embed with the "layer" param`);
    output = dense.input as tf.SymbolicTensor;
    name = `${dense.name} (input)`;
  }
  if (output.shape.length === 4) output = tf.layers.globalAveragePooling2d({}).apply(output) as tf.SymbolicTensor;
  else if (output.shape.length !== 2) throw new NodeUserError(`${where}: layer ${name} has output rank ${output.shape.length}; embeddings need rank 2 or 4`);
  return { model: tf.model({ inputs: model.inputs, outputs: output }), layer: name };
}
