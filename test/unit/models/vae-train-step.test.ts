import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { makeDefaultVaeTrainStep } from '../../../core/models/world-models/vae.ts';

// The step `oneiro bench` (vae-train-b32) and `oneiro doctor` time is the product VAE itself.
test('the default-preset VAE training step (bench and doctor) learns a fixed batch without leaking tensors', async () => {
  await initBackend();
  const x = tf.randomUniform([2, 64, 64, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
  const vae = makeDefaultVaeTrainStep(1);
  assert.equal(vae.config.imageSize, 64);
  const first = vae.step(x);
  const before = tf.memory().numTensors;
  let last = first;
  for (let i = 0; i < 4; i++) last = vae.step(x);
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  assert.ok(Number.isFinite(first) && Number.isFinite(last));
  // Same batch five times: the loss goes down (Adam on a fixed batch).
  assert.ok(last < first, `loss ${first} → ${last}`);
  vae.dispose();
  x.dispose();
});
