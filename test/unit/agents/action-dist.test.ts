import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { actionDist, modeAction, ndtri, sampleAction, tanhNormalMode } from '../../../core/agents/action-dist.ts';

before(async () => {
  await initBackend('cpu');
});

/** Mean of Normal(mu, sd) truncated to [−1, 1], by Simpson's rule on the density (no erf needed). */
function truncMean(mu: number, sd: number): number {
  const n = 4000;
  let num = 0;
  let den = 0;
  for (let i = 0; i <= n; i++) {
    const x = -1 + (2 * i) / n;
    const w = i === 0 || i === n ? 1 : i % 2 ? 4 : 2;
    const p = Math.exp(-0.5 * ((x - mu) / sd) ** 2);
    num += w * x * p;
    den += w * p;
  }
  return num / den;
}

test('ndtri inverts the standard normal CDF (float32 accuracy, tails included)', () => {
  const p = tf.tensor1d([1e-6, 1e-3, 0.025, 0.5, 0.8, 0.975, 1 - 1e-4]);
  const got = ndtri(p).dataSync();
  // scipy.special.ndtri of the same probabilities
  const want = [-4.753424, -3.090232, -1.959964, 0, 0.841621, 1.959964, 3.719016];
  want.forEach((w, i) =>
    assert.ok(Math.abs(got[i] - w) < 2e-3 * Math.max(1, Math.abs(w)), `ndtri(${p.dataSync()[i]})`),
  );
  p.dispose();
});

test('truncated-normal actions are draws of the truncated normal (no mass piled on the bounds) with its mean', () => {
  const n = 20000;
  for (const [mu, sd] of [
    [0.9, 2],
    [0, 0.3],
    [-0.6, 0.8],
  ]) {
    const a = tf.tidy(() => {
      const d = {
        kind: 'trunc_normal' as const,
        a: tf.fill([n, 1], mu) as tf.Tensor2D,
        b: tf.fill([n, 1], sd) as tf.Tensor2D,
      };
      return sampleAction(d, 7).action;
    });
    const xs = a.dataSync();
    a.dispose();
    let sum = 0;
    let atBound = 0;
    for (const x of xs) {
      assert.ok(x >= -1 && x <= 1, `action ${x} outside [-1, 1]`);
      sum += x;
      if (Math.abs(x) > 0.999) atBound++;
    }
    assert.ok(
      Math.abs(sum / n - truncMean(mu, sd)) < 0.02,
      `mean ${sum / n} vs ${truncMean(mu, sd)} (mu ${mu}, sd ${sd})`,
    );
    // A clipped Normal(0.9, 2) puts ~48 % of its draws on +1; the truncated normal puts ~0.1 % within 0.001 of a bound.
    assert.ok(
      atBound / n < 0.01,
      `${((100 * atBound) / n).toFixed(1)} % of the draws sit on a bound (mu ${mu}, sd ${sd})`,
    );
  }
});

test('the truncated-normal draw is reparameterised: d E[a] / d(mean, std) match the truncated mean derivatives', () => {
  const n = 20000;
  for (const [mu, sd] of [
    [0.9, 2],
    [0.2, 0.5],
  ]) {
    const g = tf.grads((m: tf.Tensor, s: tf.Tensor) =>
      tf.mean(
        sampleAction(
          { kind: 'trunc_normal', a: tf.tile(m, [n, 1]) as tf.Tensor2D, b: tf.tile(s, [n, 1]) as tf.Tensor2D },
          11,
        ).action,
      ),
    );
    const [dm, ds] = g([tf.tensor2d([[mu]]), tf.tensor2d([[sd]])]);
    const h = 1e-3;
    const wantM = (truncMean(mu + h, sd) - truncMean(mu - h, sd)) / (2 * h);
    const wantS = (truncMean(mu, sd + h) - truncMean(mu, sd - h)) / (2 * h);
    const gotM = dm.dataSync()[0];
    const gotS = ds.dataSync()[0];
    tf.dispose([dm, ds]);
    // At mean 0.9, std 2 the truncated mean barely moves with the mean (~0.2); a straight-through clip gives 1.
    assert.ok(
      Math.abs(gotM - wantM) < 0.05 + 0.1 * Math.abs(wantM),
      `dE[a]/dmean ${gotM} vs ${wantM} (mu ${mu}, sd ${sd})`,
    );
    assert.ok(
      Math.abs(gotS - wantS) < 0.05 + 0.1 * Math.abs(wantS),
      `dE[a]/dstd ${gotS} vs ${wantS} (mu ${mu}, sd ${sd})`,
    );
  }
});

/**
 * Dreamer v1's SampleDist.mode for the tanh-normal (tools.py): the most probable of the draws under the
 * squashed density, log N(x; m, s) − log(1 − tanh²x) at a = tanh(x). Here its limit, the argmax of that formula
 * over a fine grid of x (float64), against which our closed-form Newton solve is checked.
 */
function referenceTanhNormalMode(m: number, s: number): number {
  let best = -Infinity;
  let arg = 0;
  for (let x = m - 12 * s - 1; x <= m + 2 * s * s + 12 * s + 1; x += 1e-4) {
    const logCosh = Math.abs(x) + Math.log1p(Math.exp(-2 * Math.abs(x))) - Math.LN2;
    const lp = -0.5 * ((x - m) / s) ** 2 - Math.log(s) + 2 * logCosh; // −log(1 − tanh²x) = 2·log cosh x
    if (lp > best) {
      best = lp;
      arg = x;
    }
  }
  return Math.tanh(arg);
}

test("the tanh-normal's mode is the squashed density's maximum (Dreamer v1 SampleDist.mode), not tanh(mean)", () => {
  // Narrow, wide, skewed and negative cases; (0.3, 1) is where tanh(mean) = 0.29 but the density peaks at ~0.98.
  const cases: [number, number][] = [
    [0.3, 1],
    [0.3, 0.5],
    [0.3, 5],
    [1.5, 0.2],
    [-0.7, 1.2],
    [0.05, 0.3],
    [-2, 3],
    [0.4, 0.75],
  ];
  const mean = tf.tensor2d(cases.map((c) => [c[0]]));
  const std = tf.tensor2d(cases.map((c) => [c[1]]));
  const n0 = tf.memory().numTensors;
  const got = tanhNormalMode(mean, std);
  assert.equal(tf.memory().numTensors, n0 + 1, 'only the result is left');
  const ours = Array.from(got.dataSync());
  cases.forEach(([m, s], i) => {
    const ref = referenceTanhNormalMode(m, s);
    assert.ok(Math.abs(ours[i] - ref) < 1e-3, `mean ${m}, std ${s}: mode ${ours[i]} vs reference ${ref}`);
  });
  assert.ok(ours[0] > 0.95, `mean 0.3, std 1: the mode ${ours[0]} is near the bound, not tanh(0.3) = 0.29`);
  // modeAction goes through it for tanh_normal (std = softplus(s + softplus⁻¹(initStd)) + minStd, raw s = 0).
  const d = actionDist('tanh_normal', tf.tensor2d([[1.5, 0]]), { initStd: 1, minStd: 0 });
  const viaDist = modeAction(d).dataSync()[0];
  assert.ok(Math.abs(viaDist - referenceTanhNormalMode(5 * Math.tanh(0.3), 1)) < 1e-3, `modeAction ${viaDist}`);
  tf.dispose([mean, std, got, d.a, d.b as tf.Tensor]);
});

test("the tanh-normal's mode runs no kernel per Newton step (it is taken at every imagined step, in the actor's tape)", async () => {
  const mean = tf.randomNormal([800, 3], 0, 2, 'float32', 11) as tf.Tensor2D;
  const std = tf.add(tf.abs(tf.randomNormal([800, 3], 0, 1, 'float32', 12)), 0.05) as tf.Tensor2D;
  const info = await tf.profile(() => tanhNormalMode(mean, std));
  // 30 Newton steps as tensor ops were ~450 kernels; computed on the values, none.
  assert.ok(info.kernels.length <= 1, `${info.kernels.length} kernels: ${info.kernels.map((k) => k.name).join(' ')}`);
  const out = tanhNormalMode(mean, std);
  const got = out.arraySync();
  const [m, s] = [mean.arraySync(), std.arraySync()];
  for (const i of [0, 1, 97, 400, 799])
    for (let j = 0; j < 3; j++) {
      const ref = referenceTanhNormalMode(m[i][j], s[i][j]);
      assert.ok(Math.abs(got[i][j] - ref) < 1e-3, `row ${i}: mode ${got[i][j]} vs reference ${ref}`);
    }
  tf.dispose([mean, std, out, info.result as tf.Tensor]);
});
