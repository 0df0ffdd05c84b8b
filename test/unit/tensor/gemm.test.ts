import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { gemmBlocked, gemmModuleBytes, makeGemm, type Dots, type Gemm } from '../../../core/tensor/kernels/gemm.ts';
import { makeGemmPool } from '../../../core/tensor/kernels/gemm-pool.ts';
import { initBackend } from '../../../core/tensor/backend.ts';

/**
 * Our wasm GEMM (issue 17): every tile path (4-row and 1-row blocks, 8- and 4-wide column blocks, the scalar
 * tail), the K-blocked path that accumulates into C, both instruction variants (FMA and multiply-add), and the
 * 2-thread split — against a float64 reference. Then tf.matMul on the wasm backend (which routes through it)
 * against the cpu backend, gradients included.
 */
interface WasmApi {
  Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => { buffer: ArrayBufferLike };
  Module: new (b: Uint8Array) => object;
  Instance: new (m: object, i: object) => { exports: Record<string, unknown> };
}
const W = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [4, 3, 8],
  [5, 7, 13],
  [7, 1, 3],
  [9, 33, 6],
  [3, 5, 4],
  [12, 40, 1],
  [37, 50, 60],
  [2, 2, 12],
  [9, 700, 400], // B > 1 MiB and K > 256: the K-blocked path
  [6, 513, 1030],
];

type Run = (a: number, b: number, c: number, m: number, k: number, n: number, rs: number, ks: number) => void;

/** Every shape of SHAPES through `run`, A as stored ([M, K]) or stored transposed ([K, M], read in place). */
function check(run: Run, f: Float32Array, transposedA = false) {
  let worst = 0;
  for (const [m, k, n] of SHAPES) {
    const a = 64;
    const b = a + m * k + 3; // unaligned on purpose
    const c = b + k * n + 1;
    for (let i = 0; i < m * k + k * n + 4; i++) f[a + i] = Math.sin(i * 0.37);
    f.fill(NaN, c, c + m * n);
    f[c + m * n] = 12345; // the element after C is not written
    const at = (i: number, q: number) => f[a + (transposedA ? q * m + i : i * k + q)];
    run(4 * a, 4 * b, 4 * c, m, k, n, transposedA ? 1 : k, transposedA ? m : 1);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let r = 0;
        let mass = 0; // Σ|terms|: float32's rounding error scales with it, not with the (cancelling) sum
        for (let q = 0; q < k; q++) {
          r += at(i, q) * f[b + q * n + j];
          mass += Math.abs(at(i, q) * f[b + q * n + j]);
        }
        const e = Math.abs(f[c + i * n + j] - r) / (1 + mass);
        assert.ok(e < 1e-5, `${m}×${k}·${k}×${n} (Aᵀ ${transposedA}) at [${i}, ${j}]: ${f[c + i * n + j]} vs ${r}`);
        worst = Math.max(worst, e);
      }
    assert.equal(f[c + m * n], 12345, `${m}×${k}·${k}×${n} wrote past C`);
  }
  return worst;
}

test('our GEMM equals a float64 reference on every tile path, with FMA and with multiply-add', () => {
  const memory = new W.Memory({ initial: 200 });
  const f = new Float32Array(memory.buffer);
  const { gemm, fma } = makeGemm(memory);
  const plain = new W.Instance(new W.Module(gemmModuleBytes(false, false)), { env: { mem: memory } }).exports
    .gemm as unknown as Gemm;
  for (const transposedA of [false, true]) {
    const worst = check((...args) => gemmBlocked(gemm, ...args), f, transposedA);
    assert.ok(worst < 1e-5);
    check((...args) => gemmBlocked(plain, ...args), f, transposedA);
  }
  // On this machine's Node the FMA variant validates (relaxed SIMD); say so if a runtime does not.
  assert.equal(typeof fma, 'boolean');
});

test('dots (few columns: one SIMD dot product per output) equals a float64 reference, K tails and N 1–7', () => {
  const memory = new W.Memory({ initial: 200 });
  const f = new Float32Array(memory.buffer);
  for (const fma of [true, false]) {
    const dots = new W.Instance(new W.Module(gemmModuleBytes(fma, false)), { env: { mem: memory } }).exports
      .dots as unknown as Dots;
    for (const [m, k, n] of [
      [1, 1, 1],
      [3, 3, 2],
      [7, 4, 7],
      [9, 13, 6],
      [33, 200, 1],
      [5, 801, 3],
    ]) {
      const a = 64;
      const bt = a + m * k + 1; // unaligned on purpose
      const c = bt + n * k + 3;
      for (let i = 0; i < m * k + n * k + 4; i++) f[a + i] = Math.sin(i * 0.53);
      f.fill(NaN, c, c + m * n);
      f[c + m * n] = 12345;
      dots(4 * a, 4 * bt, 4 * c, m, k, n);
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          let r = 0;
          let mass = 0;
          for (let q = 0; q < k; q++) {
            r += f[a + i * k + q] * f[bt + j * k + q];
            mass += Math.abs(f[a + i * k + q] * f[bt + j * k + q]);
          }
          assert.ok(Math.abs(f[c + i * n + j] - r) / (1 + mass) < 1e-6, `${m}×${k}×${n} fma ${fma} [${i}, ${j}]`);
        }
      assert.equal(f[c + m * n], 12345, `${m}×${k}×${n} wrote past C`);
    }
  }
});

test('on shared memory the product is split with a worker thread, with the same result', async () => {
  const memory = new W.Memory({ initial: 400, maximum: 65536, shared: true });
  const f = new Float32Array(memory.buffer);
  const { gemm, fma } = makeGemm(memory);
  const pool = makeGemmPool(memory, gemm, fma);
  check((...args) => pool.run(...args), f);
  check((...args) => pool.run(...args), f, true);
  // Large products, with pauses so the worker is up and gets scheduled even on a loaded machine.
  const [m, k, n] = [400, 300, 200];
  const [a, b, c, c1] = [64, 64 + m * k, 64 + m * k + k * n, 64 + m * k + k * n + m * n];
  for (let i = 0; i < m * k + k * n; i++) f[a + i] = Math.cos(i * 0.11);
  gemmBlocked(gemm, 4 * a, 4 * b, 4 * c1, m, k, n);
  for (let i = 0; i < 20 && pool.stats().byWorker < 3; i++) {
    await new Promise((r) => setTimeout(r, 50));
    f.fill(NaN, c, c + m * n);
    pool.run(4 * a, 4 * b, 4 * c, m, k, n);
    assert.deepEqual(f.subarray(c, c + m * n), f.subarray(c1, c1 + m * n));
  }
  // The same with A stored transposed ([K, M]): the worker's rows start M·… columns further, not rows.
  const at = 64 + m * k + k * n + 2 * m * n;
  for (let i = 0; i < m; i++) for (let q = 0; q < k; q++) f[at + q * m + i] = f[a + i * k + q];
  const before = pool.stats().byWorker;
  for (let i = 0; i < 20 && pool.stats().byWorker < before + 3; i++) {
    await new Promise((r) => setTimeout(r, 50));
    f.fill(NaN, c, c + m * n);
    pool.run(4 * at, 4 * b, 4 * c, m, k, n, 1, m);
    for (let j = 0; j < m * n; j++)
      assert.ok(Math.abs(f[c + j] - f[c1 + j]) <= 1e-5 * (1 + Math.abs(f[c1 + j])), `[${j}]`);
  }
  const s = pool.stats();
  assert.ok(s.byWorker >= 1 && s.byWorker <= s.split, JSON.stringify(s));
});

test('tf.matMul on wasm (our GEMM) equals the cpu backend: plain, transposed, batched, and gradients', async () => {
  const shapes: [number[], number[], boolean, boolean][] = [
    [[37, 50], [50, 60], false, false],
    [[50, 37], [50, 60], true, false],
    [[37, 50], [60, 50], false, true],
    [[50, 37], [60, 50], true, true],
    [[3, 21, 40], [3, 40, 16], false, false],
    [[800, 200], [200, 600], false, false],
    [[800, 230], [800, 200], true, false], // aᵀ·b: a transposed first
    [[5000, 210], [5000, 24], true, false], // aᵀ·b with a ≥ 2²⁰ elements: read in place
    [[700, 9], [700, 40], true, false], // K > 256: K-blocked, A transposed
    [[2, 300, 21], [2, 300, 16], true, false], // batched, A transposed
    [[600, 12], [600, 6], true, false], // aᵀ·b with N < 8: (bᵀ·a)ᵀ in the tile
    [[13, 21], [21, 6], false, false], // N < 8: dots against bᵀ
    [[2, 9, 30], [2, 30, 5], false, false], // batched dots
    [[13, 21], [1, 21], false, true], // a·bᵀ with one row in b: dots on b as stored
    [[5, 21], [5, 1], true, false], // aᵀ·b, N = 1
    [[64, 1], [1, 40], false, false], // K = 1 in the tile
    [[64, 6], [40, 6], false, true], // K = 6
    [[3, 2], [3, 2], true, false], // M and N < 8: wasm's own
  ];
  const results: Record<string, Float32Array[]> = {};
  for (const backend of ['cpu', 'wasm']) {
    await initBackend(backend);
    results[backend] = [];
    for (const [sa, sb, ta, tb] of shapes) {
      const a = tf.randomNormal(sa, 0, 1, 'float32', 1);
      const b = tf.randomNormal(sb, 0, 1, 'float32', 2);
      const dy = tf.randomNormal(tf.matMul(a, b, ta, tb).shape, 0, 1, 'float32', 3);
      const g = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, ta, tb));
      const [da, db] = g([a, b], dy);
      const y = tf.matMul(a, b, ta, tb);
      for (const t of [y, da, db]) results[backend].push(t.dataSync() as Float32Array);
      tf.dispose([a, b, dy, da, db, y]);
    }
  }
  results.cpu.forEach((ref, i) => {
    // Errors relative to the output's scale (its rms): float32 sums over K = 5000 terms cancel to near 0 here and there.
    const rms = Math.sqrt(ref.reduce((acc, r) => acc + r * r, 0) / ref.length);
    let worst = 0;
    ref.forEach((r, j) => (worst = Math.max(worst, Math.abs(results.wasm[i][j] - r) / (1 + rms))));
    assert.ok(worst < 1e-4, `case ${Math.floor(i / 3)} output ${i % 3}: relative error ${worst}`);
  });
});
