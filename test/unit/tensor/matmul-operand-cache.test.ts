import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { checkParity, relErr } from './parity.ts';
import { derivedCount } from '../../../core/tensor/kernels/wasm-call.ts';

/**
 * wasm's BatchMatMul caches its XNNPACK operator (with the packed right operand) by the right operand's tensor
 * id only. Our kernels make that safe (Scope.rightOperand) and use it: Identity shares data, so a dense layer's
 * gradient sees its weight's own data, and a·Wᵀ uses a transposed W made and packed once per weight value.
 */

function product(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float32Array {
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let q = 0; q < k; q++) s += a[i * k + q] * b[q * n + j];
      out[i * n + j] = s;
    }
  return out;
}

test('the same data as the right operand at two shapes (a reshape shares it) multiplies correctly', async () => {
  await initBackend('wasm');
  const bv = Float32Array.from({ length: 24 }, (_, i) => Math.sin(i));
  const a1 = Float32Array.from({ length: 8 }, (_, i) => Math.cos(i));
  const a2 = Float32Array.from({ length: 24 }, (_, i) => Math.cos(3 * i));
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    const b = tf.tensor2d(bv, [4, 6]);
    const r1 = tf.matMul(tf.tensor2d(a1, [2, 4]), b).dataSync();
    // Without the guard wasm reuses the [4, 6] operator here: it aborts (or writes out of bounds).
    const r2 = tf.matMul(tf.tensor2d(a2, [3, 8]), tf.reshape(b, [8, 3])).dataSync();
    const r3 = tf.matMul(tf.tensor2d(a1, [2, 4]), b).dataSync();
    assert.ok(relErr(r1, product(a1, bv, 2, 4, 6)) < 1e-6, 'first shape');
    assert.ok(relErr(r2, product(a2, bv, 3, 8, 3)) < 1e-6, 'second shape');
    assert.ok(relErr(r3, r1) < 1e-7, 'first shape again');
  });
  assert.equal(tf.memory().numTensors, before);
});

test('clone (Identity) shares data safely: the copy outlives the original and gradients flow through it', async () => {
  await initBackend('wasm');
  const before = tf.memory().numTensors;
  const x = tf.tensor1d([1, 2, 3]);
  const y = tf.clone(x);
  x.dispose();
  assert.deepEqual(Array.from(y.dataSync()), [1, 2, 3]);
  y.dispose();
  assert.equal(tf.memory().numTensors, before);
  // Kernels that save their inputs or outputs for backward (matMul, sigmoid, tanh, exp) clone them through Identity.
  await checkParity('sigmoid·tanh·exp chain', (v) => tf.mul(tf.sigmoid(v), tf.exp(tf.tanh(v))), [{ shape: [4, 7] }]);
  await checkParity(
    'matMul then reshape as a right operand',
    (a, b) => tf.matMul(a, tf.reshape(tf.matMul(a, b), [6, 4])),
    [{ shape: [3, 6] }, { shape: [6, 8] }],
  );
});

test("a dense layer's input gradient with a cached transposed weight equals cpu, across calls and reassignments", async () => {
  // 9 inputs: dx = dy·Wᵀ has 9 columns, enough for the tile (fewer go to dot products against W as stored).
  const xv = Float32Array.from({ length: 5 * 9 }, (_, i) => Math.sin(0.7 * i));
  const w1 = Float32Array.from({ length: 9 * 4 }, (_, i) => Math.cos(0.3 * i));
  const w2 = Float32Array.from({ length: 9 * 4 }, (_, i) => Math.sin(1.1 * i + 1));
  let base = 0;
  const run = async (backend: 'cpu' | 'wasm') => {
    await initBackend(backend);
    const before = tf.memory().numTensors;
    const init = tf.tensor2d(w1, [9, 4]);
    const w = tf.variable(init);
    init.dispose();
    const x = tf.tensor2d(xv, [5, 9]);
    const outs: Float32Array[] = [];
    const cached: number[] = [];
    for (let call = 0; call < 4; call++) {
      if (call === 2) {
        const next = tf.tensor2d(w2, [9, 4]);
        w.assign(next); // new weights: the cached Wᵀ of the old ones must not be used
        next.dispose();
      }
      // d/dx Σ tanh(x·W)·r: dx = (dy)·Wᵀ, the a·bᵀ form with b = W's own data.
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.tanh(tf.matMul(v as tf.Tensor2D, w)), call + 1)))(x);
      outs.push(g.dataSync().slice() as Float32Array);
      g.dispose();
      cached.push(derivedCount());
    }
    // wasm: one transposed weight per weight value (the gradient saw W's own data: Identity shares it), made
    // on the first call, reused on the next; the reassignment frees the old value, whose entry goes.
    if (backend === 'wasm') assert.deepEqual(cached, [base + 1, base + 1, base + 1, base + 1], 'cached Wᵀ entries');
    tf.dispose([w, x]);
    assert.equal(tf.memory().numTensors, before, `${backend}: tensors freed`);
    return outs;
  };
  const want = await run('cpu');
  await initBackend('wasm');
  base = derivedCount();
  const got = await run('wasm');
  got.forEach((g, i) => assert.ok(relErr(g, want[i]) < 1e-5, `call ${i}: relative error ${relErr(g, want[i])}`));
});

test('Cast to the same dtype shares data (the copy outlives the original); other casts still convert', async () => {
  await initBackend('wasm');
  const before = tf.memory().numTensors;
  const bytesBefore = tf.memory().numBytes;
  const x = tf.tensor2d([1.5, -2.25, 3, 0.125, 7, -8], [2, 3]);
  const y = tf.cast(x, 'float32');
  const backend = tf.backend() as unknown as { dataIdMap: { get(id: object): { memoryOffset: number } } };
  // Same data: the same heap offset, and no new bytes beyond x's.
  assert.equal(backend.dataIdMap.get(y.dataId).memoryOffset, backend.dataIdMap.get(x.dataId).memoryOffset);
  x.dispose();
  const filler = tf.fill([2, 3], 99); // may reuse freed memory: y must not see it
  assert.deepEqual(Array.from(y.dataSync()), [1.5, -2.25, 3, 0.125, 7, -8]);
  const i = tf.cast(y, 'int32');
  assert.equal(i.dtype, 'int32');
  assert.deepEqual(Array.from(i.dataSync()), [1, -2, 3, 0, 7, -8]);
  tf.dispose([y, filler, i]);
  assert.equal(tf.memory().numTensors, before);
  assert.equal(tf.memory().numBytes, bytesBefore);
});
