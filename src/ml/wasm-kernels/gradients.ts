/**
 * Gradient replacements that take the wasm backend off TensorFlow.js's most memory-hungry paths.
 * Gradients are registered for all backends at once, so each replacement defers to the original
 * gradient unless the active backend is wasm: other backends compute exactly what they did.
 *
 * - Sum and Mean broadcast dy with a Tile instead of multiplying it by `ones(x.shape)`, which
 *   TensorFlow.js builds in JavaScript and copies into the backend: per batch-norm statistic a
 *   full activation-sized allocation, fill and copy (about a sixth of a mobile2 step).
 * - Relu, Relu6 and ClipByValue pass dy through one masking kernel instead of a graph of compares,
 *   a logical and, a select and a zeros tensor.
 * - FusedBatchNorm pulls its per-channel factors out of the batch sums: five passes over the
 *   activation (dy·k, Σdy, x−mean, dy·(x−mean), its Σ) instead of about fifteen, and no Tile.
 */
import * as tf from '@tensorflow/tfjs';
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs';
import { MASKED_GRADIENT, type MaskedGradientAttrs } from './masks.js';
import { batchNormTrainingGradient } from './batch-norm-training.js';

type GradFunc = GradConfig['gradFunc'];

function onWasm(kernelName: string, fast: (original: GradFunc) => GradFunc): GradConfig | undefined {
  const original = tf.getGradient(kernelName);
  if (!original) return undefined;
  const replacement = fast(original.gradFunc);
  return {
    kernelName,
    inputsToSave: original.inputsToSave,
    outputsToSave: original.outputsToSave,
    gradFunc: (dy, saved, attrs) =>
      tf.getBackend() === 'wasm' && !Array.isArray(dy) ? replacement(dy, saved, attrs) : original.gradFunc(dy, saved, attrs),
  };
}

function reduceGradient(kernelName: 'Sum' | 'Mean'): GradConfig | undefined {
  return onWasm(kernelName, (original) => (dy, saved, attrs) => {
    const [x] = saved as Tensor[];
    if (x!.dtype !== 'float32') return original(dy, saved, attrs);
    const axes = tf.util.parseAxisParam((attrs as NamedAttrMap & { axis: number | number[] }).axis, x!.shape);
    const expanded = x!.shape.slice();
    for (const a of axes) expanded[a] = 1;
    const reduceSize = axes.reduce((n, a) => n * x!.shape[a]!, 1);
    return {
      x: () => {
        const g = tf.reshape(dy as Tensor, expanded);
        return tf.broadcastTo(kernelName === 'Mean' ? tf.div(g, reduceSize) : g, x!.shape);
      },
    };
  });
}

const batchNormGradient = () => onWasm('FusedBatchNorm', (original) => (dyIn, saved, attrs) => {
  const dy = dyIn as Tensor;
  const [x, mean, variance, scale] = saved as Array<Tensor | null>;
  if (x!.dtype !== 'float32' || mean!.rank !== 1 || variance!.rank !== 1 || (scale != null && scale.rank !== 1)) {
    return original(dyIn, saved, attrs);
  }
  const axes = x!.shape.slice(0, -1).map((_, i) => i);
  const epsilon = (attrs as NamedAttrMap & { varianceEpsilon: number }).varianceEpsilon;
  const rsqrtVariance = tf.rsqrt(tf.add(variance!, epsilon));
  const scaleValue = scale ?? tf.scalar(1);
  const k = tf.mul(rsqrtVariance, scaleValue);
  // The engine runs each closure in its own tidy and may dispose what one returns, so shared sums
  // are computed here, in the backward pass's scope, and every closure returns a new tensor.
  const sumDy = tf.sum(dy, axes);
  const sumDyCentered = tf.sum(tf.mul(dy, tf.sub(x!, mean!)), axes);
  return {
    x: () => tf.mul(dy, k),
    mean: () => tf.neg(tf.mul(k, sumDy)),
    variance: () => tf.mul(tf.mul(tf.pow(rsqrtVariance, 3), tf.mul(scaleValue, -0.5)), sumDyCentered),
    scale: () => tf.mul(rsqrtVariance, sumDyCentered),
    offset: () => tf.clone(sumDy),
  };
});

/** dy where x lies in the open/closed interval, else 0: one fused kernel (masks.ts). */
function maskedGradient(kernelName: 'Relu' | 'Relu6' | 'ClipByValue', bounds: (attrs: NamedAttrMap) => MaskedGradientAttrs) {
  return onWasm(kernelName, (original) => (dy, saved, attrs) => {
    const [x] = saved as Tensor[];
    if (x!.dtype !== 'float32' || (dy as Tensor).dtype !== 'float32') return original(dy, saved, attrs);
    return { x: () => tf.engine().runKernel(MASKED_GRADIENT, { dy: dy as Tensor, x: x! }, bounds(attrs) as unknown as NamedAttrMap) as Tensor };
  });
}

let installed = false;

export function registerWasmGradients(): void {
  if (installed) return;
  const gradients = [
    reduceGradient('Sum'),
    reduceGradient('Mean'),
    batchNormGradient(),
    maskedGradient('Relu', () => ({ lo: 0, hi: Infinity, loInclusive: false })),
    maskedGradient('Relu6', () => ({ lo: 0, hi: 6, loInclusive: false })),
    maskedGradient('ClipByValue', (attrs) => {
      const { clipValueMin, clipValueMax } = attrs as unknown as { clipValueMin: number; clipValueMax: number };
      return { lo: clipValueMin, hi: clipValueMax, loInclusive: true };
    }),
  ];
  for (const config of gradients) {
    if (config) tf.registerGradient(config);
  }
  tf.registerGradient(batchNormTrainingGradient);
  installed = true;
}
