/** Backend selection: what `auto` picks on this machine, explicit choices, and DAG_BACKEND. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import {
  BackendUnavailableError,
  describeBackends,
  initBackend,
  resolveBackendChoice,
} from '../../src/ml/backend.js';

function installed(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
}
const nativeInstalled = installed('@tensorflow/tfjs-node') || installed('@tensorflow/tfjs-node-gpu');

describe('backend selection', () => {
  it('auto falls back to wasm and records why tensorflow was not used', { skip: nativeInstalled && 'tfjs-node is installed here' }, async () => {
    const active = await initBackend('auto');
    assert.equal(active.name, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    assert.deepEqual(active.tried.map((t) => [t.name, t.ok]), [['tfjs-node-gpu', false], ['tfjs-node', false], ['wasm', true]]);
    assert.equal(active.tried[0]!.why, 'not installed');
    assert.match(active.reason, /tfjs-node-gpu: not installed; tfjs-node: not installed/);
    assert.match(active.device, /wasm simd/);
    // The engine really computes there.
    assert.deepEqual(Array.from(tf.tidy(() => tf.conv2d(tf.ones([1, 3, 3, 1]) as tf.Tensor4D, tf.ones([3, 3, 1, 1]) as tf.Tensor4D, 1, 'same').dataSync())),
      [4, 6, 4, 6, 9, 6, 4, 6, 4]);
  });

  it('refuses an explicit tensorflow backend that cannot load, saying how to install it', { skip: nativeInstalled && 'tfjs-node is installed here' }, async () => {
    await assert.rejects(initBackend('tensorflow'), (e: unknown) =>
      e instanceof BackendUnavailableError && /npm install @tensorflow\/tfjs-node/.test(e.message) && /not installed/.test(e.message));
  });

  it('switches to cpu on request and back to wasm', async () => {
    const cpu = await initBackend('cpu');
    assert.equal(cpu.name, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
    const wasm = await initBackend('wasm');
    assert.equal(wasm.name, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
  });

  it('lets DAG_BACKEND override the param and rejects unknown names', () => {
    assert.equal(resolveBackendChoice('wasm', { DAG_BACKEND: 'cpu' }), 'cpu');
    assert.equal(resolveBackendChoice('wasm', {}), 'wasm');
    assert.equal(resolveBackendChoice(undefined, {}), 'auto');
    assert.throws(() => resolveBackendChoice('auto', { DAG_BACKEND: 'gpu' }), (e: unknown) =>
      e instanceof BackendUnavailableError && /DAG_BACKEND: unknown backend "gpu"/.test(e.message));
    assert.throws(() => resolveBackendChoice('tpu', {}), /backend: unknown backend "tpu"/);
  });

  it('describes every candidate for dag doctor', async () => {
    const report = await describeBackends();
    assert.deepEqual(report.candidates.map((c) => c.name), ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu']);
    assert.equal(report.candidates.find((c) => c.name === 'wasm')!.ok, true);
    assert.equal(report.active?.name, tf.getBackend());
  });
});
