/**
 * Turns the training loop's per-batch updates into the progress events train/classifier reports.
 * The loop counts batches over the whole run; progress events count batches within the epoch named
 * in the label (`epoch 3/20`, `batch 12/79`), which is what the reporters fold into one fraction.
 */
import type { ProgressUpdate } from '../../exec/node-contract.js';

export class BatchProgress {
  private epochStart = performance.now();
  private stepsThisEpoch = 0;

  constructor(
    private readonly batchSize: number,
    private readonly rowsPerEpoch: number,
  ) {}

  /** `{loss, accuracy, lr}` → `{loss, acc, lr, images_per_s}`, the rate over the epoch so far. */
  update(u: ProgressUpdate): ProgressUpdate {
    const stepsPerEpoch = Math.max(1, Math.ceil(this.rowsPerEpoch / this.batchSize));
    this.stepsThisEpoch++;
    const seconds = (performance.now() - this.epochStart) / 1000;
    const images = Math.min(this.stepsThisEpoch * this.batchSize, this.rowsPerEpoch);
    const m = u.metrics ?? {};
    return {
      ...u,
      step: ((u.step - 1) % stepsPerEpoch) + 1,
      total: stepsPerEpoch,
      metrics: {
        loss: m.loss ?? NaN,
        acc: m.accuracy ?? NaN,
        lr: m.lr ?? NaN,
        images_per_s: seconds > 0 ? Math.round(images / seconds) : 0,
      },
    };
  }

  endEpoch(): void {
    this.epochStart = performance.now();
    this.stepsThisEpoch = 0;
  }
}
