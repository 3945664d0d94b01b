/**
 * Where the stochastic layers (dropout, spatial dropout, stochastic depth) get their randomness.
 *
 * TensorFlow.js's own Dropout takes a fixed `seed` and so draws the same mask on every batch; without
 * a seed it draws from Math.random and no run can be repeated. Our layers instead ask this module for
 * a fresh seed per call. The training loop installs its own seeded stream (checkpointed with the
 * run), so the masks of a run are fixed by its seed and a resumed run draws exactly the masks an
 * uninterrupted one would.
 */
import { Rng } from '../rng.js';

const fallback = new Rng(0x5eed);
let active: Rng | null = null;

/** Installs the stream that dropout-like layers draw from; `null` restores the built-in fallback. */
export function setLayerNoise(rng: Rng | null): void {
  active = rng;
}

/** A seed for one random mask. */
export function nextNoiseSeed(): number {
  return (active ?? fallback).tfSeed();
}
