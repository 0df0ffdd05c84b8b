import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { checkParity, relErr } from './parity.ts';

/**
 * Our wasm Slice / SplitV / Unpack (read in place), the b·aᵀ form of BatchMatMul and Tanh
 * (issue 17) against the cpu backend: values and gradients, on ranks 1–5 and on the shapes the recurrent
 * models use.
 */

test('slice of every rank, partial and whole axes, equals cpu (values and gradients)', async () => {
  const cases: [number[], number[], number[]][] = [
    [[7], [2], [4]],
    [
      [5, 6],
      [1, 0],
      [3, 6],
    ],
    [
      [5, 6],
      [0, 2],
      [5, 3],
    ],
    [
      [4, 5, 6],
      [1, 2, 0],
      [2, 1, 6],
    ],
    [
      [4, 5, 6],
      [0, 0, 1],
      [4, 5, 4],
    ],
    [
      [3, 4, 5, 6],
      [1, 1, 2, 3],
      [2, 3, 2, 2],
    ],
    [
      [2, 3, 4, 5, 3],
      [1, 0, 1, 2, 0],
      [1, 3, 2, 3, 3],
    ],
    [
      [16, 50, 12],
      [0, 7, 0],
      [16, 1, 12],
    ],
    [
      [4, 6],
      [0, 0],
      [-1, 3],
    ],
  ];
  for (const [shape, begin, size] of cases) {
    await checkParity(`slice ${shape} @${begin} ${size}`, (x) => tf.slice(x, begin, size), [{ shape }]);
  }
});

test('concat on every axis (2 to 4 inputs, odd widths, an empty one) equals cpu, values and gradients', async () => {
  for (const axis of [0, 1, 2, -1])
    await checkParity(`concat axis ${axis}`, (a, b, c) => tf.concat([a, tf.mul(b, 2), c], axis), [
      { shape: [3, 5, 7] },
      { shape: [3, 5, 7] },
      { shape: [3, 5, 7] },
    ]);
  await checkParity('concat widths 200, 30, 3', (a, b, c) => tf.concat([a, b, c], 1), [
    { shape: [17, 200] },
    { shape: [17, 30] },
    { shape: [17, 3] },
  ]);
  await checkParity('concat 4 on axis 1', (a, b) => tf.concat([a, b, a, tf.neg(b)], 1), [
    { shape: [4, 3, 2] },
    { shape: [4, 1, 2] },
  ]);
  await initBackend('wasm');
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    const i = tf.concat([tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), tf.tensor2d([5, 6], [2, 1], 'int32')], 1);
    assert.equal(i.dtype, 'int32');
    assert.deepEqual(Array.from(i.dataSync()), [1, 2, 5, 3, 4, 6]);
    const b = tf.concat([tf.tensor1d([1, 0, 1], 'bool'), tf.tensor1d([], 'bool'), tf.tensor1d([0, 1], 'bool')]);
    assert.deepEqual(Array.from(b.dataSync()), [1, 0, 1, 0, 1]);
  });
  assert.equal(tf.memory().numTensors, before);
});

test('int32 slices and zero-size slices keep dtype and shape', async () => {
  await initBackend('wasm');
  const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32');
  const s = tf.slice(x, [0, 1], [2, 2]);
  assert.equal(s.dtype, 'int32');
  assert.deepEqual(Array.from(s.dataSync()), [2, 3, 5, 6]);
  const e = tf.slice(x, [1, 0], [0, 3]);
  assert.deepEqual(e.shape, [0, 3]);
  const bools = tf.tensor2d([1, 0, 1, 1, 0, 0], [3, 2], 'bool');
  const bs = tf.slice(bools, [1, 1], [2, 1]);
  assert.deepEqual(Array.from(bs.dataSync()), [1, 0]);
  tf.dispose([x, s, e, bools, bs]);
});

test('split and unstack on every axis equal cpu, including the LSTM gate split and the sequence unstack', async () => {
  await checkParity('split gates in 4', (x) => tf.concat(tf.split(x, 4, 1).map((p, i) => tf.mul(p, i + 1))), [
    { shape: [16, 32] },
  ]);
  await checkParity('split sizes axis 0', (x) => tf.mul(tf.split(x, [2, 3, 1], 0)[1], 2), [{ shape: [6, 4, 3] }]);
  await checkParity('split axis 2', (x) => tf.split(x, 3, 2)[2], [{ shape: [3, 4, 9] }]);
  for (const axis of [0, 1, 2]) {
    await checkParity(
      `unstack axis ${axis}`,
      (x) => {
        const parts = tf.unstack(x, axis);
        return tf.addN(parts.map((p, i) => tf.mul(p, i + 1)));
      },
      [{ shape: [3, 5, 4] }],
    );
  }
});

test('a·bᵀ with few rows in a (the b·aᵀ form) and aᵀ·b with a wide b (the (bᵀ·a)ᵀ form) equal cpu', async () => {
  await checkParity('16×64 · (48×64)ᵀ', (a, b) => tf.matMul(a, b, false, true), [
    { shape: [3, 64] },
    { shape: [48, 64] },
  ]);
  await checkParity('1×1×40 · (1×30×40)ᵀ', (a, b) => tf.matMul(a, b, false, true), [
    { shape: [1, 2, 40] },
    { shape: [1, 30, 40] },
  ]);
  // aᵀ·b with b at least 3× wider than aᵀ has rows: the (bᵀ·a)ᵀ form.
  await checkParity('(20×4)ᵀ · 20×30', (a, b) => tf.matMul(a, b, true, false), [
    { shape: [20, 4] },
    { shape: [20, 30] },
  ]);
  // Many rows: the plain transpose-then-multiply form.
  await checkParity('40×8 · (6×8)ᵀ', (a, b) => tf.matMul(a, b, false, true), [{ shape: [40, 8] }, { shape: [6, 8] }]);
});

test('tanh as 2σ(2x) − 1 stays within 1e-6 of Math.tanh from −20 to 20, and its gradient equals cpu', async () => {
  await initBackend('wasm');
  const xs = Float32Array.from({ length: 4001 }, (_, i) => (i - 2000) / 100);
  const x = tf.tensor1d(xs);
  const y = tf.tanh(x);
  const v = y.dataSync();
  let worst = 0;
  xs.forEach((x, i) => (worst = Math.max(worst, Math.abs(v[i] - Math.tanh(x)))));
  assert.ok(worst < 1e-6, `max abs error ${worst}`);
  tf.dispose([x, y]);
  await checkParity('tanh', (x) => tf.tanh(tf.mul(x, 3)), [{ shape: [8, 33] }]);
});

test('conv2dTranspose with a cached rearranged filter: repeated calls, a reassigned filter and the 1-pixel path equal cpu', async () => {
  const run = async (
    backend: 'cpu' | 'wasm',
    xs: Float32Array[],
    f1: Float32Array,
    f2: Float32Array,
    shape: number[],
    k: number,
    stride: number,
  ) => {
    await initBackend(backend);
    const w = tf.variable(tf.tensor4d(f1, [k, k, 3, shape[3]]));
    const outs: Float32Array[] = [];
    xs.forEach((x, i) => {
      if (i === xs.length - 1) w.assign(tf.tensor4d(f2, [k, k, 3, shape[3]]));
      const y = tf.tidy(() =>
        tf.conv2dTranspose(
          tf.tensor4d(x, shape as [number, number, number, number]),
          w,
          [shape[0], (shape[1] - 1) * stride + k, (shape[2] - 1) * stride + k, 3],
          stride,
          'valid',
        ),
      );
      outs.push(y.dataSync().slice() as Float32Array);
      y.dispose();
    });
    w.dispose();
    return outs;
  };
  const rnd = (n: number) => Float32Array.from({ length: n }, () => Math.random() * 2 - 1);
  for (const [shape, k, stride] of [
    [[1, 1, 1, 16], 5, 2], // the decoder's first layer at batch 1 (cached Fᵀ)
    [[2, 4, 4, 8], 6, 2], // strided phases
  ] as [number[], number, number][]) {
    const n = shape.reduce((a, b) => a * b, 1);
    const xs = [rnd(n), rnd(n), rnd(n)];
    const f1 = rnd(k * k * 3 * shape[3]);
    const f2 = rnd(k * k * 3 * shape[3]);
    const want = await run('cpu', xs, f1, f2, shape, k, stride);
    const got = await run('wasm', xs, f1, f2, shape, k, stride);
    got.forEach((g, i) =>
      assert.ok(relErr(g, want[i]) < 1e-5, `${shape} call ${i}: relative error ${relErr(g, want[i])}`),
    );
  }
});
