import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { initBackend } from '../../../core/tensor/backend.ts';
import { Rng } from '../../../core/util/rng.ts';

/**
 * Shared helpers of the gradient parity suite: the same function and inputs on the cpu backend
 * (reference) and on wasm; values and gradients must agree within `tol` relative error,
 * ||a − b|| / max(||b||, eps) per tensor. Inputs, weights and shapes come from one seeded stream per test file,
 * the same every run: with fresh draws, an output that nearly cancels (a sum of n values close to 0, a 1×1
 * matMul or conv) divided float32 rounding by a tiny norm — `sum all` alone failed 17 of 20000 draws.
 */
export const TOL = 1e-4;

const rng = new Rng(20261202);

/** Uniform in [0, 1) from the suite's seeded stream. */
export const random = (): number => rng.next();

export interface Input {
  shape: number[];
  /** Distribution of the random values (default uniform(-1, 1)). */
  init?: (i: number) => number;
  dtype?: 'float32' | 'int32';
}

export function relErr(a: ArrayLike<number>, b: ArrayLike<number>, eps = 1e-6): number {
  assert.equal(a.length, b.length, 'tensor sizes differ');
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    n += b[i] ** 2;
  }
  return Math.sqrt(d) / Math.max(Math.sqrt(n), eps);
}

function makeValues(inp: Input): Float32Array | Int32Array {
  const size = inp.shape.reduce((a, b) => a * b, 1);
  if (inp.dtype === 'int32') return Int32Array.from({ length: size }, (_, i) => inp.init!(i));
  return Float32Array.from({ length: size }, (_, i) => (inp.init ? inp.init(i) : random() * 2 - 1));
}

interface Result {
  value: Float32Array[];
  grads: Float32Array[];
}

/** Runs f on `backend`: its value(s) and the gradient of sum(value · w) for a fixed random w. */
async function evaluate(
  backend: 'cpu' | 'wasm',
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  values: (Float32Array | Int32Array)[],
  inputs: Input[],
  weights: Float32Array | null,
  diff: boolean[],
): Promise<Result> {
  await initBackend(backend);
  const before = tf.memory().numTensors;
  const xs = values.map((v, i) => tf.tensor(v, inputs[i].shape, inputs[i].dtype ?? 'float32'));
  const y = tf.tidy(() => f(...xs));
  const value = [y.dataSync().slice() as Float32Array];
  const grads: Float32Array[] = [];
  const diffIdx = diff.map((d, i) => (d ? i : -1)).filter((i) => i >= 0);
  if (diffIdx.length > 0) {
    const w = tf.tensor(weights!, y.shape);
    const g = tf.grads((...d: tf.Tensor[]) => {
      const all = xs.map((x, i) => (diff[i] ? d[diffIdx.indexOf(i)] : x));
      return tf.sum(tf.mul(f(...all), w));
    });
    const gs = g(diffIdx.map((i) => xs[i]));
    for (const t of gs) grads.push(t.dataSync().slice() as Float32Array);
    tf.dispose([...gs, w]);
  }
  tf.dispose([y, ...xs]);
  assert.equal(tf.memory().numTensors, before, `${backend}: tensors leaked`);
  return { value, grads };
}

/**
 * Asserts that f's value and its gradients w.r.t. the float inputs agree between wasm and cpu.
 * Returns the worst relative error seen.
 */
export async function checkParity(
  label: string,
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: Input[],
  opts: { tol?: number; diff?: boolean[] } = {},
): Promise<number> {
  const tol = opts.tol ?? TOL;
  const values = inputs.map(makeValues);
  const diff = opts.diff ?? inputs.map((i) => (i.dtype ?? 'float32') === 'float32');
  const ref = await evaluate(
    'cpu',
    f,
    values,
    inputs,
    null,
    diff.map(() => false),
  );
  const weights = Float32Array.from({ length: ref.value[0].length }, () => random() * 2 - 1);
  const cpu = await evaluate('cpu', f, values, inputs, weights, diff);
  const wasm = await evaluate('wasm', f, values, inputs, weights, diff);
  let worst = relErr(wasm.value[0], cpu.value[0]);
  assert.ok(worst <= tol, `${label}: forward value differs, relative error ${worst.toExponential(2)} > ${tol}`);
  cpu.grads.forEach((g, i) => {
    const e = relErr(wasm.grads[i], g);
    assert.ok(
      Number.isFinite(e) && e <= tol,
      `${label}: gradient ${i} differs, relative error ${e.toExponential(2)} > ${tol}`,
    );
    worst = Math.max(worst, e);
  });
  return worst;
}

export const randInt = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
