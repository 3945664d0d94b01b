/**
 * A training process for the kill-and-resume test: trains with a resume directory, then writes the
 * final weights to a file and prints the result as JSON.
 * Usage: node train-kill-child.js RESUME_DIR WEIGHTS_OUT
 */
import { writeFileSync } from 'node:fs';
import { buildModel } from '../../src/ml/models/index.js';
import { trainClassifier } from '../../src/ml/train/index.js';
import { flatWeights, noisyFlip, quadrantSet, useTestBackend } from './train-helpers.js';

const [resumeDir, weightsOut] = process.argv.slice(2);
await useTestBackend();
const model = buildModel(
  { arch: 'mobilenetv2', inputShape: [8, 8, 1], numClasses: 4, width: 0.25, expansion: 2, dropout: 0.2, stochasticDepth: 0.2, bnMomentum: 0.9 },
  { seed: 11 },
);
const result = await trainClassifier({
  model, train: quadrantSet(64, 8, 1), validation: quadrantSet(16, 8, 2), epochs: 6, batchSize: 16, seed: 11,
  optimizer: { kind: 'adam', lr: 0.01 }, loss: { labelSmoothing: 0.1 }, schedule: { kind: 'cosine', warmupEpochs: 1 },
  earlyStopping: { monitor: 'val_loss', patience: 6 }, mixup: { alpha: 0.2 }, augment: noisyFlip,
  resumeDir,
});
writeFileSync(weightsOut!, flatWeights(model));
console.log(JSON.stringify({ resumedFromEpoch: result.resumedFromEpoch, epochs: result.history.length }));
