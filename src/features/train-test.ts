/** The `train` and `test` features inputs of a feature classifier, checked to fit together. */
import type { InputArtifact, PortSpec } from '../exec/node-contract.js';
import { NodeUserError } from '../exec/node-contract.js';
import { readFeatures, type Features, type Predictions } from '../artifacts/predictions.js';
import { labeledRows, softmaxRows } from '../ensemble/probability.js';

export function readTrainTest(trainInput: InputArtifact, testInput: InputArtifact): { train: Features; test: Features } {
  const train = readFeatures(trainInput.path);
  const test = readFeatures(testInput.path);
  if (train.dims !== test.dims) throw new NodeUserError(`train features ${trainInput.producer} have ${train.dims} dims but test features ${testInput.producer} have ${test.dims}`);
  if (train.classes.join('\n') !== test.classes.join('\n')) throw new NodeUserError(`train features ${trainInput.producer} and test features ${testInput.producer} have different classes`);
  if (labeledRows(train.labels) === 0) throw new NodeUserError(`train features ${trainInput.producer} have no labeled rows`);
  return { train, test };
}

/** The predictions artifact of a feature classifier on the test rows. */
export function featurePredictions(test: Features, logits: Float32Array, meta: Record<string, unknown>): Predictions {
  return {
    probs: softmaxRows(logits, test.rows, test.classes.length),
    logits,
    rows: test.rows,
    numClasses: test.classes.length,
    labels: test.labels,
    classes: test.classes,
    meta: { ...(test.meta.split !== undefined ? { split: test.meta.split } : {}), ...meta },
  };
}

/** The inputs of a classifier trained on features and predicting other features' rows. */
export const featureClassifierInputs: Record<'train' | 'test', PortSpec> = {
  train: { kind: 'features', description: 'labeled training features' },
  test: { kind: 'features', description: 'features of the rows to predict' },
};
