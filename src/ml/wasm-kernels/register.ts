/**
 * Installs this project's wasm training kernels. Kernels the wasm backend lacks are added; kernels it
 * has but runs slowly are replaced, keeping the original reachable for the replacements' own use.
 * Safe to call any number of times.
 */
import { getKernel, registerKernel, unregisterKernel, type KernelConfig } from '@tensorflow/tfjs';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { conv2DBackpropInputConfig } from './conv2d-backprop-input.js';
import { depthwiseConv2dNativeBackpropFilterConfig } from './depthwise-backprop-filter.js';
import { depthwiseConv2dNativeBackpropInputConfig } from './depthwise-backprop-input.js';
import { adamKernels } from './adam.js';
import { arithmeticKernels } from './arithmetic.js';
import { batchNormKernels } from './batch-norm.js';
import { batchNormTrainingKernels } from './batch-norm-training.js';
import { copyKernels } from './copies.js';
import { maskKernels } from './masks.js';
import { matMulKernels } from './matmul.js';
import { maxPoolGradKernels } from './max-pool-grad.js';
import { reduceKernels } from './reduce.js';
import { registerWasmGradients } from './gradients.js';
import { rememberOriginal } from './wasm-backend.js';

/** Every kernel supplied, in registration order. */
export const WASM_TRAINING_KERNELS: readonly KernelConfig[] = [
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  ...copyKernels,
  ...reduceKernels,
  ...maskKernels,
  ...arithmeticKernels,
  ...batchNormKernels,
  ...batchNormTrainingKernels,
  ...adamKernels,
  ...matMulKernels,
  ...maxPoolGradKernels,
];

/** Backend kernels the replacements call: captured before anything could override them. */
const CALLED_ORIGINALS = ['Conv2D'];

export function registerWasmTrainingKernels(): string[] {
  registerWasmGradients();
  for (const name of CALLED_ORIGINALS) rememberOriginal(name);
  const installed: string[] = [];
  for (const config of WASM_TRAINING_KERNELS) {
    const current = getKernel(config.kernelName, 'wasm');
    if (current?.kernelFunc === config.kernelFunc) continue;
    if (current) {
      const original = rememberOriginal(config.kernelName);
      unregisterKernel(config.kernelName, 'wasm');
      // The original's setup binds its wasm exports; keep running it so its kernelFunc stays usable.
      registerKernel({ ...config, setupFunc: original?.setupFunc });
    } else {
      registerKernel(config);
    }
    installed.push(config.kernelName);
  }
  return installed;
}
