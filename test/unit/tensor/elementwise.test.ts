import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { elementwiseModuleBytes } from '../../../core/tensor/kernels/elementwise.ts';
import { sharedPool } from '../../../core/tensor/kernels/gemm-pool.ts';
import { isShared } from '../../../core/tensor/kernels/wasm-asm.ts';
import { heapMemory } from '../../../core/tensor/kernels/wasm-call.ts';

/**
 * Our wasm Add / Sub / Multiply / Square / Neg (kernels/elementwise.ts, issue 17) against the cpu backend: same
 * shapes, scalars on either side, a row (bias) broadcast on either side, lengths that leave a scalar tail, and the
 * shapes they leave to wasm's own kernels (other broadcasts, int32).
 */
test('elementwise kernels on wasm equal the cpu backend on every case they take and the ones they pass on', async () => {
  const cases: [number[], number[]][] = [
    [[7], [7]],
    [
      [3, 5],
      [3, 5],
    ],
    [
      [800, 200],
      [800, 200],
    ],
    [[13], [1]],
    [[1], [13]],
    [[2, 3, 5], []],
    [[], [2, 3, 5]],
    [[6, 9], [9]],
    [[9], [6, 9]],
    [
      [4, 3, 10],
      [1, 10],
    ],
    [
      [5, 1],
      [5, 4],
    ], // column broadcast: wasm's own
    [
      [2, 1, 3],
      [1, 4, 1],
    ], // outer broadcast: wasm's own
  ];
  const out: Record<string, number[][]> = {};
  for (const backend of ['cpu', 'wasm']) {
    await initBackend(backend);
    const before = tf.memory().numTensors;
    out[backend] = [];
    cases.forEach(([sa, sb], i) => {
      const a = tf.randomNormal(sa, 0, 1, 'float32', 10 + i);
      const b = tf.randomNormal(sb, 0, 1, 'float32', 50 + i);
      for (const y of [tf.add(a, b), tf.sub(a, b), tf.mul(a, b), tf.square(a), tf.neg(b)]) {
        out[backend].push(Array.from(y.dataSync()));
        y.dispose();
      }
      tf.dispose([a, b]);
    });
    const ai = tf.tensor1d([1, 2, 3], 'int32');
    const y = tf.tidy(() => tf.sub(tf.mul(ai, ai), ai));
    out[backend].push(Array.from(y.dataSync()));
    tf.dispose([ai, y]);
    assert.equal(tf.memory().numTensors, before, backend);
  }
  out.cpu.forEach((ref, i) => {
    assert.equal(out.wasm[i].length, ref.length, `output ${i}`);
    ref.forEach((r, j) => assert.ok(Math.abs(out.wasm[i][j] - r) <= 1e-6 * (1 + Math.abs(r)), `output ${i}[${j}]`));
  });
});

test('sigmoid, tanh and elu on wasm equal the cpu backend over [−100, 100] (values and gradients), tails included', async () => {
  const n = 2003; // not a multiple of 4: the scalar tail runs
  const xs = Array.from({ length: n }, (_, i) => (i < 1000 ? -100 + (200 * i) / 999 : 8 * Math.sin(i * 1.7)));
  const out: Record<string, number[][]> = {};
  for (const backend of ['cpu', 'wasm']) {
    await initBackend(backend);
    const x = tf.tensor1d(xs);
    out[backend] = [];
    for (const f of [tf.sigmoid, tf.tanh, tf.elu] as ((t: tf.Tensor) => tf.Tensor)[]) {
      const y = f(x);
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), t)))(x);
      out[backend].push(Array.from(y.dataSync()), Array.from(g.dataSync()));
      tf.dispose([y, g]);
    }
    x.dispose();
  }
  out.cpu.forEach((ref, i) =>
    ref.forEach((r, j) =>
      // float32: σ near 1 leaves 1 − σ (in the gradient) with an error of ~1 ulp of 1
      assert.ok(
        Math.abs(out.wasm[i][j] - r) <= 1e-6 * (1 + Math.abs(r)),
        `output ${i} at x = ${xs[j]}: ${out.wasm[i][j]} vs ${r}`,
      ),
    ),
  );
});

test('sum over the leading axes (ours) and other reductions (wasm own) equal the cpu backend, keepDims both ways', async () => {
  const cases: [number[], number[] | number | undefined, boolean][] = [
    [[13, 7], 0, false],
    [[13, 7], [0], true],
    [[1, 9], 0, false],
    [[4, 3, 10], [0, 1], false],
    [[4, 3, 10], [1, 0], true],
    [[800, 200], 0, false],
    [[13, 7], 1, false], // innermost: wasm's own
    [[4, 3, 10], [0, 2], false], // not the leading axes: wasm's own
    [[4, 3, 10], undefined, false], // everything: wasm's own
  ];
  const out: Record<string, number[][]> = {};
  for (const backend of ['cpu', 'wasm']) {
    await initBackend(backend);
    out[backend] = cases.map(([shape, axis, keep], i) => {
      const x = tf.randomNormal(shape, 0, 1, 'float32', 90 + i);
      const y = tf.sum(x, axis, keep);
      const v = [...y.shape, ...Array.from(y.dataSync())];
      tf.dispose([x, y]);
      return v;
    });
  }
  out.cpu.forEach((ref, i) =>
    // float32 sums of up to 800 terms in another order: a few 1e-5 apart
    ref.forEach((r, j) =>
      assert.ok(Math.abs(out.wasm[i][j] - r) <= 1e-4 * (1 + Math.abs(r)), `case ${i}[${j}]: ${out.wasm[i][j]} vs ${r}`),
    ),
  );
});

test("the elementwise module validates (else every op would quietly fall back to wasm's own)", () => {
  const W = (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly;
  assert.equal(W.validate(elementwiseModuleBytes(false)), true);
  assert.equal(W.validate(elementwiseModuleBytes(true)), true);
});

test('EluGrad on wasm (ours for same-shape float32) equals the cpu backend, zeros and tails included', async () => {
  const shapes = [[7], [13, 7], [800, 200], [3, 1, 5]];
  const out: Record<string, number[][]> = {};
  for (const backend of ['cpu', 'wasm']) {
    await initBackend(backend);
    const before = tf.memory().numTensors;
    out[backend] = shapes.map((shape, i) => {
      const v = tf.tidy(() => {
        // elu outputs lie in (−1, ∞): exact zeros (±0) and values near −1 included
        const y = tf.elu(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 200 + i), 3));
        const flat = y.dataSync().slice();
        flat[0] = 0;
        if (flat.length > 1) flat[1] = -0;
        const y0 = tf.tensor(flat, shape);
        const dy = tf.randomNormal(shape, 0, 1, 'float32', 300 + i);
        return tf.engine().runKernel('EluGrad', { dy, y: y0 }) as tf.Tensor;
      });
      const r = Array.from(v.dataSync());
      v.dispose();
      return r;
    });
    assert.equal(tf.memory().numTensors, before, backend);
  }
  out.cpu.forEach((ref, i) =>
    ref.forEach((r, j) =>
      assert.ok(
        Math.abs(out.wasm[i][j] - r) <= 1e-6 * (1 + Math.abs(r)),
        `shape ${i}[${j}]: ${out.wasm[i][j]} vs ${r}`,
      ),
    ),
  );
});

test('large elementwise ops split with the worker thread (threaded build) equal the cpu backend, odd sizes included', async () => {
  const n = 2 ** 20 + 7; // past the cheap ops' split size, with a scalar tail in the worker's half
  const cols = 1031; // row broadcasts: 1018 rows of an odd width
  const rows = Math.floor(n / cols);
  const av = Float32Array.from({ length: n }, (_, i) => 6 * Math.sin(i * 0.731));
  const ops: [string, (a: tf.Tensor, b: tf.Tensor, r: tf.Tensor, s: tf.Tensor) => tf.Tensor][] = [
    ['add', (a, b) => tf.add(a, b)],
    ['sub', (a, b) => tf.sub(a, b)],
    ['mul', (a, b) => tf.mul(a, b)],
    ['add scalar', (a, _b, _r, s) => tf.add(a, s)],
    ['scalar − a', (a, _b, _r, s) => tf.sub(s, a)],
    ['square', (a) => tf.square(a)],
    ['neg', (a) => tf.neg(a)],
    ['sigmoid', (a) => tf.sigmoid(a)],
    ['tanh', (a) => tf.tanh(a)],
    ['elu', (a) => tf.elu(a)],
    ['eluGrad', (a, b) => tf.engine().runKernel('EluGrad', { dy: b, y: tf.elu(a) }) as tf.Tensor],
  ];
  const rowOps: [string, (m: tf.Tensor, r: tf.Tensor) => tf.Tensor][] = [
    ['add row', (m, r) => tf.add(m, r)],
    ['row − m', (m, r) => tf.sub(m, r)],
    ['row · m', (m, r) => tf.mul(r, m)],
  ];
  const out: Record<string, Float32Array[]> = {};
  let byWorker = 0;
  for (const backend of ['cpu', 'wasm']) {
    await initBackend(backend);
    const before = tf.memory().numTensors;
    const a = tf.tensor1d(av);
    const b = tf.tensor1d(av.map((x, i) => Math.cos(i + x)));
    const m = tf.tensor2d(av.subarray(0, rows * cols), [rows, cols]);
    const r = tf.tensor1d(av.subarray(7, 7 + cols));
    const s = tf.scalar(0.37);
    out[backend] = [];
    // (data read outside tidy: tidy walks whatever its function returns, a million-element array included)
    const read = (y: tf.Tensor) => {
      const v = y.dataSync() as Float32Array;
      y.dispose();
      return v;
    };
    for (const [, f] of ops) out[backend].push(read(tf.tidy(() => f(a, b, r, s))));
    for (const [, f] of rowOps) out[backend].push(read(tf.tidy(() => f(m, r))));
    if (backend === 'wasm') {
      const memory = heapMemory(tf.backend() as never);
      if (memory && isShared(memory)) {
        // The worker must take some halves (pauses let a loaded machine schedule it); results stay the same.
        const pool = sharedPool(memory);
        const want = out.wasm[7];
        for (let i = 0; i < 40 && pool.stats().byWorker < byWorker + 3; i++) {
          if (i === 0) byWorker = pool.stats().byWorker;
          await new Promise((res) => setTimeout(res, 50));
          const y = read(tf.sigmoid(a));
          assert.ok(y.every((v, j) => v === want[j]));
        }
        assert.ok(pool.stats().byWorker >= byWorker + 1, `the worker ran no half: ${JSON.stringify(pool.stats())}`);
      }
    }
    tf.dispose([a, b, m, r, s]);
    assert.equal(tf.memory().numTensors, before, backend);
  }
  [...ops, ...rowOps].forEach(([name], i) => {
    const [ref, got] = [out.cpu[i], out.wasm[i]];
    assert.equal(got.length, ref.length, name);
    for (let j = 0; j < ref.length; j++)
      assert.ok(Math.abs(got[j] - ref[j]) <= 1e-6 * (1 + Math.abs(ref[j])), `${name}[${j}]: ${got[j]} vs ${ref[j]}`);
  });
});
