/** The body of predict/classifier, loaded only when the stage runs. */
import { NodeUserError, type NodeContext } from '../../exec/node-contract.js';
import { readDataset } from '../../data/dataset.js';
import { writePredictions } from '../../artifacts/predictions.js';
import { accuracy, softmaxRows } from '../../ensemble/probability.js';
import type { PredictClassifierParams } from '../../../nodes/predict/classifier.js';
import { activateBackend } from './backend.js';
import { parseModelMeta } from './model-meta.js';
import { sameClasses } from './training-set.js';
import { describeView, viewTransform } from './tta.js';

export async function predictWithModels(ctx: NodeContext<PredictClassifierParams>): Promise<void> {
  const p = ctx.params;
  const dsIn = ctx.input('dataset');
  const ds = readDataset(dsIn.path);
  const dsName = `dataset (${dsIn.producer}.${dsIn.output})`;
  const models = ctx.inputs('model');
  await activateBackend(ctx, p.backend);
  const tf = await import('@tensorflow/tfjs');
  const { loadModel, readModelMeta } = await import('../../ml/io/index.js');
  const { predictLogits } = await import('../../ml/train/index.js');

  const C = ds.classes.length;
  const n = ds.count;
  const probSum = new Float64Array(n * C);
  const logitSum = new Float64Array(n * C);
  const parts = models.length * p.tta.length;
  const set = { images: ds.images, imageShape: [ds.height, ds.width, 1] as [number, number, number] };
  let step = 0;
  for (const m of models) {
    const name = `model ${m.producer}.${m.output}`;
    const meta = parseModelMeta(await readModelMeta(m.path), name);
    sameClasses(meta.classes, name, ds.classes, dsName);
    const [h, w] = meta.inputShape;
    if (h !== ds.height || w !== ds.width) throw new NodeUserError(`${name} takes ${h}×${w} images but ${dsName} holds ${ds.height}×${ds.width}`);
    const model = await loadModel(m.path);
    try {
      for (const view of p.tta) {
        if (ctx.signal.aborted) throw ctx.signal.reason;
        const transform = viewTransform(tf, view);
        const logits = predictLogits(model, set, { batchSize: p.batchSize, ...(transform ? { transform } : {}) });
        const probs = softmaxRows(logits, n, C);
        for (let i = 0; i < logits.length; i++) {
          logitSum[i]! += logits[i]!;
          probSum[i]! += probs[i]!;
        }
        step++;
        ctx.progress({ step, total: parts, unit: 'view', label: `${m.producer} ${describeView(view)}` });
      }
    } finally {
      model.dispose();
    }
  }
  const meanLogits = Float32Array.from(logitSum, (v) => v / parts);
  const probs = p.average === 'logits' ? softmaxRows(meanLogits, n, C) : Float32Array.from(probSum, (v) => v / parts);
  // Logits of an average of different models mean little; one model's (view-averaged) logits are kept.
  const logits = models.length === 1 ? meanLogits : undefined;
  writePredictions(ctx.outputDir('predictions'), {
    probs,
    ...(logits ? { logits } : {}),
    rows: n,
    numClasses: C,
    labels: ds.labels,
    classes: ds.classes,
    meta: {
      split: ds.meta.split ?? null,
      models: models.map((m) => m.producer),
      tta: p.tta.map(describeView),
      average: p.average,
    },
  });
  const acc = accuracy(probs, ds.labels, C);
  ctx.metrics({ rows: n, models: models.length, views: p.tta.length, ...(acc !== undefined ? { accuracy: acc } : {}) });
}
