// The dream's wasm kernel must give the plain-JS kernel's bits, not merely close numbers: CMA-ES follows the dream
// returns, and a last-bit difference grows into another controller (and other gate verdicts) within generations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../../core/util/rng.ts';
import { MdnCell, dreamReturn, type MdnWeights } from '../../../core/models/world-models/dream-kernel.ts';
import { controllerSize, type ActionSpec } from '../../../core/models/controller-policy.ts';

function weights(seed: number, zDim: number, actionDim: number, hidden: number, mixtures: number): MdnWeights {
  const rng = new Rng(seed);
  const f = (n: number) => Float32Array.from({ length: n }, () => rng.normal() * 0.3);
  const O = 3 * zDim * mixtures + 2;
  return {
    zDim,
    actionDim,
    hidden,
    mixtures,
    rewardHead: true,
    doneHead: true,
    wx: f((zDim + actionDim) * 4 * hidden),
    wh: f(hidden * 4 * hidden),
    b: f(4 * hidden),
    headW: f(hidden * O),
    headB: f(O),
  };
}

/** Every entry the same float, −0 and +0 told apart. */
function assertBits(got: Float32Array, want: Float32Array, what: string): void {
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++)
    if (!Object.is(got[i], want[i])) assert.fail(`${what}[${i}]: wasm ${got[i]} vs js ${want[i]}`);
}

function inputs(rng: Rng, n: number): Float32Array {
  // Zeros (both signs) exercise the skipped rows.
  return Float32Array.from({ length: n }, () => {
    const u = rng.next();
    return u < 0.1 ? 0 : u < 0.15 ? -0 : rng.normal();
  });
}

test('the wasm dream kernel gives the JS kernel’s h, c and head bit for bit, at sizes that need padding', () => {
  for (const [zDim, A, H, K] of [
    [16, 3, 256, 5], // the small preset's M
    [5, 2, 13, 3], // 4H = 52 and O = 47: neither a multiple of 8
    [32, 1, 7, 2],
  ]) {
    const w = weights(zDim + H, zDim, A, H, K);
    const js = new MdnCell(w, 'js');
    const wasm = new MdnCell(w, 'wasm');
    assert.equal(wasm.kernel, 'wasm', 'this runtime has WebAssembly SIMD (Node ≥ 16)');
    const rng = new Rng(H);
    for (let t = 0; t < 60; t++) {
      const z = inputs(rng, zDim);
      const a = inputs(rng, A);
      js.step(z, a);
      wasm.step(z, a);
      for (const [name, x, y] of [
        ['h', wasm.h, js.h],
        ['c', wasm.c, js.c],
        ['out', wasm.out, js.out],
      ] as const)
        assertBits(x, y, `z ${zDim} H ${H} step ${t} ${name}`);
    }
  }
});

test('the wasm kernel leaves out rows whose input is 0 as the JS loop does: a −0 bias stays −0', () => {
  const w = weights(1, 4, 2, 8, 2);
  // With every input 0, a gate is its bias; adding 0·w (+0 for w > 0) would turn −0 into +0. From c = −0 the new
  // c = σ(f)·(−0) + σ(i)·tanh(g) is −0 only if g is −0.
  w.b.fill(-0);
  w.wx.fill(0.5);
  w.wh.fill(0.5);
  const js = new MdnCell(w, 'js');
  const wasm = new MdnCell(w, 'wasm');
  js.c.fill(-0);
  wasm.c.fill(-0);
  js.step(new Float32Array(4), new Float32Array(2));
  wasm.step(new Float32Array(4), new Float32Array(2));
  assert.ok(Object.is(js.c[0], -0), 'the JS kernel keeps −0 (the premise of this test)');
  assertBits(wasm.c, js.c, 'c');
});

test('cells with different weights stepping in turn on one thread each get their own weights', () => {
  const w1 = weights(1, 6, 3, 16, 3);
  const w2 = weights(2, 6, 3, 16, 3);
  const [a1, a2] = [new MdnCell(w1, 'wasm'), new MdnCell(w2, 'wasm')];
  const [b1, b2] = [new MdnCell(w1, 'js'), new MdnCell(w2, 'js')];
  const rng = new Rng(5);
  for (let t = 0; t < 10; t++) {
    const z = inputs(rng, 6);
    const a = inputs(rng, 3);
    for (const [x, y] of [
      [a1, b1],
      [a2, b2],
    ]) {
      x.step(z, a);
      y.step(z, a);
      assertBits(x.h, y.h, `step ${t} h`);
      assertBits(x.out, y.out, `step ${t} out`);
    }
  }
});

test('a dream under the controller returns the same total with either kernel', () => {
  const w = weights(3, 16, 3, 64, 5);
  w.doneHead = false; // full-length dreams
  const spec: ActionSpec = { kind: 'box', low: [-1, 0, 0], high: [1, 1, 1], map: ['affine', 'clip', 'clip'] };
  const rng = new Rng(9);
  const theta = Float64Array.from({ length: controllerSize(16, 64, 3) }, () => rng.normal() * 0.2);
  const start = {
    mu: Float32Array.from({ length: 16 * 4 }, () => rng.normal()),
    logvar: Float32Array.from({ length: 16 * 4 }, () => rng.normal() * 0.1 - 1),
    count: 4,
  };
  for (let seed = 0; seed < 4; seed++) {
    const opts = { length: 100, temperature: 1.5, seed };
    const js = dreamReturn(w, theta, spec, start, { ...opts, kernel: 'js' });
    const wasm = dreamReturn(w, theta, spec, start, { ...opts, kernel: 'wasm' });
    assert.ok(Number.isFinite(js) && js !== 0, `dream ${seed} returned ${js}`);
    assert.ok(Object.is(wasm, js), `dream ${seed}: wasm ${wasm} vs js ${js}`);
  }
});
