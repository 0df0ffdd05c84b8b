import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { stopGradient } from '../../../core/tensor/stop-gradient.ts';

/**
 * sg(x) is a leaf of the gradient tape (issue 17): the gradient is the one with the stopped branch held constant,
 * and backprop does no work behind it (the earlier zero-gradient customGrad computed the stopped branch's input
 * gradients and multiplied them by zero).
 */
test('stopGradient: the value passes, no gradient flows back, and backprop skips the stopped branch', async () => {
  await initBackend();
  const a = tf.tensor2d([
    [1, 2],
    [3, -1],
  ]);
  const w = tf.variable(
    tf.tensor2d([
      [0.5, -1],
      [2, 0.25],
    ]),
  );
  // y = Σ sg(a·W)·W: with sg, dy/dW = sg(a·W)ᵀ·1 (the path through a·W is held constant).
  const f = () => tf.sum(tf.matMul(stopGradient(tf.matMul(a, w)), w)) as tf.Scalar;
  const before = tf.memory().numTensors;
  let grad: number[] = [];
  const prof = await tf.profile(() => {
    const r = tf.variableGrads(f, [w]);
    grad = Array.from(r.grads[w.name].dataSync());
    tf.dispose([r.value, ...Object.values(r.grads)]);
  });
  const aw = tf.matMul(a, w);
  const ones = tf.ones([2, 2]);
  const expected = tf.matMul(aw, ones, true, false);
  assert.deepEqual(grad, Array.from(expected.dataSync()));
  // Forward: a·W and sg(a·W)·W; backward: only dW of the second product (no input gradient into sg, nothing behind it).
  const matmuls = prof.kernels.filter((k) => k.name === 'BatchMatMul').length;
  assert.equal(matmuls, 3, prof.kernels.map((k) => k.name).join(' '));
  // The value is x's.
  const s = stopGradient(aw);
  assert.deepEqual(Array.from(s.dataSync()), Array.from(aw.dataSync()));
  tf.dispose([aw, ones, expected, s]);
  assert.equal(tf.memory().numTensors, before);
  w.dispose();
  a.dispose();
});
