import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { gruGates, gruGatesOps } from '../../../core/tensor/gru-gates.ts';
import { GRU_GATES } from '../../../core/tensor/kernels/elementwise.ts';
import { sharedPool } from '../../../core/tensor/kernels/gemm-pool.ts';
import { isShared } from '../../../core/tensor/kernels/wasm-asm.ts';
import { heapMemory } from '../../../core/tensor/kernels/wasm-call.ts';

/**
 * The fused GRU gates (core/tensor/gru-gates.ts; wasm kernels in kernels/elementwise.ts, issue 17) against
 * tfjs's own ops on the cpu backend: the value and the gradients of parts and h under a random cotangent, at a
 * size one thread takes ([5, 8]), imagination's [800, 200] (the forward split with the worker on the threaded
 * build), an odd row count, and [1403, 200] (the backward split too); gates driven into saturation included. Run the file with ONEIRO_WASM_THREADS=1 for one thread.
 */
const SHAPES: [number, number][] = [
  [5, 8],
  [800, 200],
  [803, 36],
  [1403, 200],
];

function run(n: number, d: number, useFused: boolean): Float32Array[] {
  return tf.tidy(() => {
    // pre-activations from −12 to 12: σ and tanh in their tails too
    const parts = tf.mul(tf.randomNormal([n, 3 * d], 0, 1, 'float32', n + d), 4) as tf.Tensor2D;
    const h = tf.randomNormal([n, d], 0, 1, 'float32', 7 * n + d) as tf.Tensor2D;
    const dy = tf.randomNormal([n, d], 0, 1, 'float32', 3 * n + d) as tf.Tensor2D;
    const f = (p: tf.Tensor2D, hh: tf.Tensor2D) => (useFused ? gruGates(p, hh) : gruGatesOps(p, hh));
    const { value, grads } = tf.valueAndGrads((p: tf.Tensor, hh: tf.Tensor) =>
      tf.sum(tf.mul(f(p as tf.Tensor2D, hh as tf.Tensor2D), dy)),
    )([parts, h]);
    return [f(parts, h), value, ...grads].map((t) => t.dataSync() as Float32Array);
  });
}

test('GRU gates fused on wasm equal tfjs ops on the cpu backend: value and gradients, split and unsplit', async () => {
  await initBackend('cpu');
  const ref = SHAPES.map(([n, d]) => run(n, d, false));
  await initBackend('wasm');
  assert.ok(tf.getKernel(GRU_GATES, 'wasm'), 'the fused kernel is registered for wasm');
  const memory = heapMemory(tf.backend() as never);
  const pool = memory && isShared(memory) ? sharedPool(memory) : null;
  const split0 = pool?.stats().split ?? 0;
  const before = tf.memory().numTensors;
  const prof = await tf.profile(() => run(800, 200, true));
  const names = prof.kernels.map((k) => k.name);
  assert.ok(names.includes(GRU_GATES) && names.includes('OneiroGruGatesGrad'), `kernels run: ${names.join(' ')}`);
  assert.ok(!names.includes('Sigmoid'), 'no Sigmoid kernel: the fused path ran');
  SHAPES.forEach(([n, d], s) => {
    const got = run(n, d, true);
    const names = ['h′', 'Σ h′·dy', 'd parts', 'd h'];
    got.forEach((g, i) => {
      assert.equal(g.length, ref[s][i].length, `${names[i]} [${n}, ${d}]`);
      ref[s][i].forEach((r, j) =>
        assert.ok(
          Math.abs(g[j] - r) <= (i === 1 ? 1e-4 : 2e-6) * (1 + Math.abs(r)),
          `${names[i]} [${n}, ${d}] at ${j}: ${g[j]} vs ${r}`,
        ),
      );
    });
  });
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  if (pool) assert.ok(pool.stats().split > split0, 'on the threaded build [800, 200] splits with the worker');
});

test('GRU gates: shapes the kernel does not take use tfjs ops; the kernel refuses them in one line', async () => {
  await initBackend('wasm');
  const parts = tf.randomNormal([4, 18]) as tf.Tensor2D;
  const h = tf.randomNormal([4, 6]) as tf.Tensor2D; // d = 6, not a multiple of 4
  const want = gruGatesOps(parts, h).dataSync();
  const got = gruGates(parts, h).dataSync();
  want.forEach((w, i) => assert.ok(Math.abs(got[i] - w) < 1e-6));
  assert.throws(
    () => tf.engine().runKernel(GRU_GATES, { parts, h }),
    /GRU gates: expected float32 parts \[N, 3d\] and h \[N, d\] with d a multiple of 4, got float32 \[4,18\] and float32 \[4,6\]/,
  );
  tf.dispose([parts, h]);
});
