import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { fallbackVae, makeVaeStep } from '../../../core/tensor/vae-step.ts';

test('the bench VAE steps (product and fallback) train on wasm without leaking tensors', async () => {
  await initBackend('wasm');
  const x = tf.randomUniform([2, 64, 64, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
  for (const vae of [await makeVaeStep(1), fallbackVae(1)]) {
    const first = vae.step(x);
    const before = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 4; i++) last = vae.step(x);
    assert.equal(tf.memory().numTensors, before, `${vae.source}: tensors leaked`);
    assert.ok(Number.isFinite(first) && Number.isFinite(last));
    // Same batch five times: the loss goes down (Adam on a fixed batch).
    assert.ok(last < first, `${vae.source}: loss ${first} → ${last}`);
    vae.dispose();
  }
  x.dispose();
});
