/**
 * Optimisers for the custom training loop: Adam, AdamW (decoupled weight decay, Loshchilov &
 * Hutter 2019) and SGD with (Nesterov) momentum.
 *
 * Written here rather than taken from tf.train because a resumed run must continue bit for bit:
 * tf.train.adam restores its bias-correction accumulators with pow(β, t) while an uninterrupted
 * run multiplies them step by step, so a resumed run drifts. Here bias correction is computed from
 * the integer step count, and the whole state (step, moment tensors) is plain data to checkpoint.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { adamUpdateFused, fusedAdamAvailable } from './wasm-kernels/adam.js';

export const optimizerSpecSchema = z
  .object({
    kind: z.enum(['adam', 'adamw', 'sgd']).default('adam'),
    /** Base learning rate; the schedule scales it. */
    lr: z.number().positive().default(1e-3),
    beta1: z.number().min(0).lt(1).default(0.9),
    beta2: z.number().min(0).lt(1).default(0.999),
    epsilon: z.number().positive().default(1e-7),
    /** SGD momentum. */
    momentum: z.number().min(0).lt(1).default(0.9),
    nesterov: z.boolean().default(false),
    /**
     * Decoupled weight decay (w ← w − lr·λ·w each step) on conv and dense kernels, not on biases or
     * batch-norm parameters. Default 0.01 for adamw, 0 otherwise.
     */
    weightDecay: z.number().min(0).optional(),
  })
  .strict();
export type OptimizerSpec = z.output<typeof optimizerSpecSchema>;
export type OptimizerSpecInput = z.input<typeof optimizerSpecSchema>;

/** Checkpointable optimiser state: the step count and the slot tensors' values in a fixed order. */
export interface OptimizerState {
  step: number;
  slots: Float32Array[];
}

export interface TrainableParam {
  variable: tf.Variable;
  /** Whether decoupled weight decay applies (kernels yes, biases and batch-norm no). */
  decay: boolean;
}

export class ParamOptimizer {
  readonly spec: OptimizerSpec;
  private step = 0;
  /** Adam: first then second moments per param; SGD: momentum buffers. Created zero-filled. */
  private readonly slots: tf.Variable[];
  private readonly weightDecay: number;

  constructor(
    specInput: OptimizerSpecInput,
    private readonly params: TrainableParam[],
  ) {
    this.spec = optimizerSpecSchema.parse(specInput);
    this.weightDecay = this.spec.weightDecay ?? (this.spec.kind === 'adamw' ? 0.01 : 0);
    const perParam = this.spec.kind === 'sgd' ? (this.spec.momentum > 0 ? 1 : 0) : 2;
    this.slots = [];
    for (let k = 0; k < perParam; k++) {
      for (const p of params) this.slots.push(tf.tidy(() => tf.variable(tf.zerosLike(p.variable), false)));
    }
  }

  /** Applies one update with learning rate `lr`; `grads[i]` belongs to `params[i]`. */
  apply(grads: tf.Tensor[], lr: number): void {
    if (grads.length !== this.params.length) throw new Error(`${grads.length} gradients for ${this.params.length} params`);
    this.step++;
    const n = this.params.length;
    tf.tidy(() => {
      const { kind, beta1, beta2, epsilon, momentum, nesterov } = this.spec;
      // Bias corrections in float64 from the integer step, folded into one step size.
      const stepSize = kind === 'sgd' ? lr : (lr * Math.sqrt(1 - beta2 ** this.step)) / (1 - beta1 ** this.step);
      const epsHat = epsilon * Math.sqrt(1 - beta2 ** this.step);
      // On wasm one kernel per variable does the update below, bit for bit (wasm-kernels/adam.ts).
      const fused = kind !== 'sgd' && fusedAdamAvailable();
      this.params.forEach((p, i) => {
        const g = grads[i]!;
        if (fused) {
          const [m, v] = [this.slots[i]!, this.slots[n + i]!];
          const decay = this.weightDecay > 0 && p.decay ? 1 - lr * this.weightDecay : null;
          const [w1, m1, v1] = adamUpdateFused(p.variable, g, m, v, { beta1, beta2, stepSize, epsHat, decay });
          m.assign(m1);
          v.assign(v1);
          p.variable.assign(w1);
          return;
        }
        let w: tf.Tensor = p.variable;
        if (this.weightDecay > 0 && p.decay) w = tf.mul(w, 1 - lr * this.weightDecay);
        if (kind === 'sgd') {
          let update: tf.Tensor = g;
          if (momentum > 0) {
            const buf = this.slots[i]!;
            const next = tf.add(tf.mul(buf, momentum), g);
            buf.assign(next);
            update = nesterov ? tf.add(g, tf.mul(next, momentum)) : next;
          }
          p.variable.assign(tf.sub(w, tf.mul(update, stepSize)));
        } else {
          const m = this.slots[i]!;
          const v = this.slots[n + i]!;
          const m1 = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
          const v1 = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
          m.assign(m1);
          v.assign(v1);
          p.variable.assign(tf.sub(w, tf.div(tf.mul(m1, stepSize), tf.add(tf.sqrt(v1), epsHat))));
        }
      });
    });
  }

  getState(): OptimizerState {
    return { step: this.step, slots: this.slots.map((s) => s.dataSync() as Float32Array).map((a) => a.slice()) };
  }

  setState(state: OptimizerState): void {
    if (state.slots.length !== this.slots.length) {
      throw new Error(`optimizer state has ${state.slots.length} slots, expected ${this.slots.length}`);
    }
    state.slots.forEach((values, i) => {
      const slot = this.slots[i]!;
      if (values.length !== slot.size) throw new Error(`optimizer slot ${i}: ${values.length} values for ${slot.size}`);
      tf.tidy(() => slot.assign(tf.tensor(values, slot.shape)));
    });
    this.step = state.step;
  }

  dispose(): void {
    tf.dispose(this.slots);
  }
}
