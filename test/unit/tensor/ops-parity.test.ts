import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { checkParity, randInt, random } from './parity.ts';

/** Gradients the model families need (dense/GRU/LSTM/heads/losses), wasm against cpu. */
const dims = (n: number, lo = 1, hi = 7) => Array.from({ length: n }, () => randInt(lo, hi));

test('matMul and batchMatMul in every transpose form, with broadcasting', async () => {
  for (let i = 0; i < 6; i++) {
    const [m, k, n] = dims(3, 1, 17);
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ]) {
      await checkParity(`matMul ${m}x${k}x${n} ta=${ta} tb=${tb}`, (a, b) => tf.matMul(a, b, ta, tb), [
        { shape: ta ? [k, m] : [m, k] },
        { shape: tb ? [n, k] : [k, n] },
      ]);
    }
    const bsz = randInt(1, 4);
    await checkParity(`batchMatMul ${bsz}x${m}x${k}x${n}`, (a, b) => tf.matMul(a, b, i % 2 === 1, false), [
      { shape: i % 2 === 1 ? [bsz, k, m] : [bsz, m, k] },
      { shape: [bsz, k, n] },
    ]);
    await checkParity(`batchMatMul broadcast ${bsz}x${m}x${k}x${n}`, (a, b) => tf.matMul(a, b), [
      { shape: [bsz, m, k] },
      { shape: [1, k, n] },
    ]);
  }
});

test('elementwise activations and math', async () => {
  const pos = () => random() * 2 + 0.1;
  const unary: [string, (x: tf.Tensor) => tf.Tensor, (() => number)?][] = [
    ['sigmoid', tf.sigmoid],
    ['tanh', tf.tanh],
    ['relu', tf.relu],
    ['elu', tf.elu],
    ['softplus', tf.softplus],
    ['exp', tf.exp],
    ['log', tf.log, pos],
    ['square', tf.square],
    ['sqrt', tf.sqrt, pos],
    ['rsqrt', tf.rsqrt, pos],
    ['abs', tf.abs],
    ['neg', tf.neg],
    ['leakyRelu', (x) => tf.leakyRelu(x, 0.2)],
    ['log1p', tf.log1p, pos],
    ['clipByValue', (x) => tf.clipByValue(x, -0.4, 0.3)],
    ['reciprocal', tf.reciprocal, pos],
  ];
  for (const [name, f, init] of unary) {
    await checkParity(name, f, [{ shape: dims(randInt(1, 3)), init }]);
  }
  const binary: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
    ['add', tf.add],
    ['sub', tf.sub],
    ['mul', tf.mul],
    ['div', (a, b) => tf.div(a, tf.add(tf.abs(b), 0.5))],
    ['maximum', tf.maximum],
    ['minimum', tf.minimum],
    ['squaredDifference', tf.squaredDifference],
    ['pow', (a, b) => tf.pow(tf.add(tf.abs(a), 0.5), b)],
  ];
  for (const [name, f] of binary) {
    const s = dims(2, 2, 7);
    await checkParity(`${name} same shape`, f, [{ shape: s }, { shape: s }]);
    await checkParity(`${name} broadcast row`, f, [{ shape: s }, { shape: [s[1]] }]);
    await checkParity(`${name} broadcast scalar`, f, [{ shape: s }, { shape: [] }]);
  }
});

test('softmax, logSoftmax, logSumExp and reductions', async () => {
  for (let i = 0; i < 4; i++) {
    const s = dims(randInt(2, 3), 2, 9);
    const ax = randInt(0, s.length - 1);
    await checkParity('softmax', (x) => tf.softmax(x), [{ shape: s }]);
    await checkParity('logSoftmax', (x) => tf.logSoftmax(x), [{ shape: s }]);
    await checkParity(`logSumExp axis ${ax}`, (x) => tf.logSumExp(x, ax), [{ shape: s }]);
    await checkParity(`sum axis ${ax}`, (x) => tf.sum(x, ax, true), [{ shape: s }]);
    await checkParity(`mean axis ${ax}`, (x) => tf.mean(x, ax), [{ shape: s }]);
    await checkParity(`max axis ${ax}`, (x) => tf.max(x, ax), [{ shape: s }]);
    await checkParity(`min axis ${ax}`, (x) => tf.min(x, ax), [{ shape: s }]);
    await checkParity('sum all', (x) => tf.sum(x), [{ shape: s }]);
  }
});

test('gather, oneHot, pad, slice, concat, stack, transpose, reshape, tile', async () => {
  for (let i = 0; i < 3; i++) {
    const [n, d] = dims(2, 2, 9);
    const k = randInt(1, 12);
    // Duplicate indices on purpose: their gradients must add up.
    const idx = { shape: [k], dtype: 'int32' as const, init: () => randInt(0, n - 1) };
    await checkParity('gather axis 0', (x, ix) => tf.gather(x, ix), [{ shape: [n, d] }, idx]);
    const idx1 = { shape: [k], dtype: 'int32' as const, init: () => randInt(0, d - 1) };
    await checkParity('gather axis 1', (x, ix) => tf.gather(x, ix, 1), [{ shape: [n, d] }, idx1]);
    await checkParity('oneHot · x', (x, ix) => tf.mul(tf.oneHot(ix, d), x), [
      { shape: [n, d] },
      { shape: [n], dtype: 'int32', init: () => randInt(0, d - 1) },
    ]);
    // Random parameters are drawn once, outside f: f runs on both backends.
    const pads: [number, number][] = [
      [randInt(0, 2), randInt(0, 2)],
      [randInt(0, 2), randInt(0, 2)],
    ];
    await checkParity('pad', (x) => tf.pad(x, pads, 0.5), [{ shape: [n, d] }]);
    const [r0, w0, ax, reps, c2, c3] = [
      randInt(0, n - 1),
      randInt(1, d),
      randInt(0, 2),
      randInt(1, 3),
      randInt(1, 5),
      randInt(1, 4),
    ];
    await checkParity('slice', (x) => tf.slice(x, [r0, 0], [1, w0]), [{ shape: [n, d] }]);
    await checkParity('concat', (a, b) => tf.concat([a, b], 1), [{ shape: [n, d] }, { shape: [n, c2] }]);
    await checkParity('stack', (a, b) => tf.stack([a, b], ax), [{ shape: [n, d] }, { shape: [n, d] }]);
    await checkParity('unstack', (x) => tf.unstack(x, 1)[0], [{ shape: [n, d] }]);
    await checkParity('split', (x) => tf.split(x, [1, d - 1], 1)[1], [{ shape: [n, d] }]);
    await checkParity('transpose 3d', (x) => tf.transpose(x, [2, 0, 1]), [{ shape: [n, d, c3] }]);
    await checkParity('reshape', (x) => tf.reshape(x, [d, n]), [{ shape: [n, d] }]);
    await checkParity('tile', (x) => tf.tile(x, [2, reps]), [{ shape: [n, d] }]);
    await checkParity('expandDims+broadcastTo', (x) => tf.broadcastTo(tf.expandDims(x, 0), [3, n, d]), [
      { shape: [n, d] },
    ]);
  }
});

test('normalisation, where/select and a GRU cell', async () => {
  for (let i = 0; i < 3; i++) {
    const [b, d] = dims(2, 2, 9);
    await checkParity(
      'moments',
      (x) => {
        const m = tf.moments(x, 0);
        return tf.concat([m.mean, m.variance]);
      },
      [{ shape: [b, d] }],
    );
    await checkParity(
      'layer norm',
      (x, g, beta) => {
        const m = tf.moments(x, -1, true);
        return tf.add(tf.mul(tf.div(tf.sub(x, m.mean), tf.sqrt(tf.add(m.variance, 1e-3))), g), beta);
      },
      [{ shape: [b, d] }, { shape: [d] }, { shape: [d] }],
    );
    await checkParity('where(x > 0, x, y)', (x, y) => tf.where(tf.greater(x, 0), x, y), [
      { shape: [b, d] },
      { shape: [b, d] },
    ]);
    await checkParity('batchNorm', (x, s, o) => tf.batchNorm(x, tf.zeros([d]), tf.ones([d]), o, s, 1e-3), [
      { shape: [b, d] },
      { shape: [d] },
      { shape: [d] },
    ]);
  }
  // One GRU step, the recurrent workhorse: every elementwise op and a dense matmul together.
  const [b, din, h] = [randInt(1, 5), randInt(2, 9), randInt(2, 9)];
  const worst = await checkParity(
    'gru cell',
    (x, hPrev, w, u) => {
      const gates = tf.add(tf.matMul(x, w), tf.matMul(hPrev, u));
      const [r, z, n] = tf.split(gates, 3, 1);
      const cand = tf.tanh(tf.mul(tf.sigmoid(r), n));
      const zz = tf.sigmoid(z);
      return tf.add(tf.mul(zz, hPrev), tf.mul(tf.sub(1, zz), cand));
    },
    [{ shape: [b, din] }, { shape: [b, h] }, { shape: [din, 3 * h] }, { shape: [h, 3 * h] }],
  );
  assert.ok(worst < 1e-4);
});
