/** What one epoch of training reports (keys follow Keras's logs, which `monitor` params name). */
export interface EpochMetrics {
  /** 1-based. */
  epoch: number;
  /** Mean training loss (with regularisation penalties) over the epoch's batches. */
  loss: number;
  /** Training accuracy against the argmax of each (possibly mixed or soft) target. */
  accuracy: number;
  /** Plain cross-entropy of the validation set (no smoothing, no logit adjustment). */
  val_loss?: number;
  val_accuracy?: number;
  /** Mean per-class accuracy on the validation set. */
  val_balanced_accuracy?: number;
  /** Learning rate of the epoch's last step. */
  lr: number;
  /** Training throughput of the epoch (forward + backward + update), excluding validation. */
  images_per_sec: number;
  seconds: number;
}
