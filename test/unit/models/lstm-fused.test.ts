// The fused LSTM (one op with a hand-written BPTT, lstm-sequence.ts) must be the same function as the plain
// unrolled cell it replaced, with the same gradients for every input, on cpu and on wasm (issue 17).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { lstmFused } from '../../../core/models/world-models/lstm-sequence.ts';
import { logSumExp } from '../../../core/tensor/log-sum-exp.ts';
import { relErr } from '../tensor/parity.ts';

/** The unrolled LSTM as lstmSequence ran it before the fused op (tfjs autodiff through every step). */
function reference(x: tf.Tensor3D, wx: tf.Tensor2D, wh: tf.Tensor2D, b: tf.Tensor1D, h0: tf.Tensor2D, c0: tf.Tensor2D) {
  const [B, T, I] = x.shape;
  const H = wh.shape[0];
  const steps = tf.unstack(tf.reshape(tf.add(tf.matMul(tf.reshape(x, [B * T, I]), wx), b), [B, T, 4 * H]), 1);
  let h: tf.Tensor = h0;
  let c: tf.Tensor = c0;
  const hs: tf.Tensor[] = [];
  for (let t = 0; t < T; t++) {
    const [i, f, g, o] = tf.split(tf.add(steps[t], tf.matMul(h, wh)), 4, 1);
    c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
    h = tf.mul(tf.sigmoid(o), tf.tanh(c));
    hs.push(h);
  }
  return { hs: tf.stack(hs, 1), h, c };
}

const rand = (shape: number[], scale = 1) =>
  tf.tensor(
    Float32Array.from({ length: shape.reduce((a, v) => a * v, 1) }, () => (Math.random() * 2 - 1) * scale),
    shape,
  );

for (const backend of ['cpu', 'wasm'] as const) {
  test(`fused LSTM equals the unrolled cell on ${backend}: hs, final h and c, and the gradient of every input`, async () => {
    await initBackend(backend);
    const [B, T, I, H] = [3, 7, 5, 6];
    const ins = [
      rand([B, T, I]),
      rand([I, 4 * H], 0.6),
      rand([H, 4 * H], 0.6),
      rand([4 * H], 0.5),
      rand([B, H]),
      rand([B, H]),
    ];
    // A loss that weighs every output differently, the final cell state included.
    const wHs = rand([B, T, H]);
    const wC = rand([B, H]);
    const wH = rand([B, H]);
    const loss = (r: { hs: tf.Tensor; h: tf.Tensor; c: tf.Tensor }) =>
      tf.addN([tf.sum(tf.mul(r.hs, wHs)), tf.sum(tf.mul(r.c, wC)), tf.sum(tf.mul(r.h, wH))]) as tf.Scalar;
    const call =
      (f: typeof reference) =>
      (...a: tf.Tensor[]) =>
        loss(f(...(a as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.Tensor2D])));
    const before = tf.memory().numTensors;
    const want = tf.tidy(
      () => reference(...(ins as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.Tensor2D])).hs,
    );
    const got = tf.tidy(
      () => lstmFused(...(ins as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.Tensor2D])).hs,
    );
    assert.ok(relErr(got.dataSync(), want.dataSync()) < 1e-5, 'hidden states differ');
    const gWant = tf.grads(call(reference))(ins);
    const gGot = tf.grads(call(lstmFused))(ins);
    const names = ['x', 'wx', 'wh', 'b', 'h0', 'c0'];
    gWant.forEach((g, i) => {
      const e = relErr(gGot[i].dataSync(), g.dataSync());
      assert.ok(e < 1e-4, `gradient of ${names[i]} differs: relative error ${e.toExponential(2)}`);
    });
    tf.dispose([want, got, ...gWant, ...gGot]);
    assert.equal(tf.memory().numTensors, before, 'tensors leaked');
    tf.dispose([...ins, wHs, wC, wH]);
  });
}

test('logSumExp equals tf.logSumExp in value and gradient, keepDims or not', async () => {
  await initBackend('wasm');
  const x = rand([4, 3, 5], 4);
  for (const keep of [true, false]) {
    const a = logSumExp(x, -1, keep);
    const b = tf.logSumExp(x, -1, keep);
    assert.deepEqual(a.shape, b.shape);
    assert.ok(relErr(a.dataSync(), b.dataSync()) < 1e-6);
    const w = rand(b.shape);
    const ga = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(logSumExp(v, -1, keep), w)))(x);
    const gb = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.logSumExp(v, -1, keep), w)))(x);
    assert.ok(relErr(ga.dataSync(), gb.dataSync()) < 1e-5);
    tf.dispose([a, b, w, ga, gb]);
  }
  x.dispose();
});
