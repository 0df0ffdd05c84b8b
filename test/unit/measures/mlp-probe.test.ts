/**
 * The MLP state probe (core/runs/mlp-probe.ts) on rows whose relation to the target is known: a variable the
 * features hold bent (as an angle's cos and sin) that a ridge cannot read and the MLP can, features that hold
 * nothing, a constant target; and its determinism and tensor hygiene.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import {
  disposeMlpProbe,
  fitMlpProbe,
  predictMlpProbe,
  type MlpProbe,
  type ProbeRows,
} from '../../../core/runs/mlp-probe.ts';
import { fitRidge, predictRidge, r2Score } from '../../../core/util/ridge.ts';
import { Rng } from '../../../core/util/rng.ts';

before(async () => {
  await initBackend();
});

/** n rows of [cos v, sin v, noise…] with v uniform in [−3, 3] (less than a turn: v is in the features, bent). */
function bentRows(n: number, noise: number, rng: Rng, target: (v: number) => number = (v) => v): ProbeRows {
  const F = 2 + noise;
  const x = new Float64Array(n * F);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = rng.uniform(-3, 3);
    x[i * F] = Math.cos(v);
    x[i * F + 1] = Math.sin(v);
    for (let j = 2; j < F; j++) x[i * F + j] = rng.normal();
    y[i] = target(v);
  }
  return { x, y, n };
}

test('MLP probe: reads a variable the features hold bent (cos, sin of it) at R² > 0.95 on held-out rows, where the ridge reads under 0.7', () => {
  const rng = new Rng(1);
  const [fit, val, held] = [bentRows(600, 2, rng), bentRows(200, 2, rng), bentRows(400, 2, rng)];
  const probe = fitMlpProbe(fit, val, 0);
  try {
    const mlp = r2Score(held.y, predictMlpProbe(probe, held.x, held.n), held.n)[0];
    const ridge = r2Score(held.y, predictRidge(fitRidge(fit.x, fit.y, fit.n, 1e-3 * fit.n), held.x, held.n), held.n)[0];
    assert.ok(mlp > 0.95, `MLP R² ${mlp}`);
    assert.ok(ridge < 0.7, `ridge R² ${ridge}`);
  } finally {
    disposeMlpProbe(probe);
  }
});

test('MLP probe: on features that hold nothing of the target it keeps its best validation weights, so held-out R² stays near 0 rather than paying for over-fitting', () => {
  const rng = new Rng(2);
  const noise = () => bentRows(300, 30, rng, () => rng.normal());
  // Only the noise columns: drop v's cos and sin by zeroing them.
  const strip = (r: ProbeRows): ProbeRows => {
    const x = Float64Array.from(r.x);
    for (let i = 0; i < r.n; i++) x[i * 32] = x[i * 32 + 1] = 0;
    return { ...r, x };
  };
  const [fit, val, held] = [strip(noise()), strip(noise()), strip(noise())];
  const r2 = (p: MlpProbe, r: ProbeRows) => r2Score(r.y, predictMlpProbe(p, r.x, r.n), r.n)[0];
  // Without validation rows nothing stops it: the fit to noise costs held-out R².
  const blind = fitMlpProbe(fit, null, 0);
  const probe = fitMlpProbe(fit, val, 0);
  try {
    assert.ok(r2(blind, held) < -0.1, `unstopped: held-out R² ${r2(blind, held)}`);
    assert.ok(Math.abs(r2(probe, held)) < 0.1, `held-out R² ${r2(probe, held)}`);
    assert.ok(
      probe.bestStep[0] < probe.steps,
      `kept step ${probe.bestStep[0]} of ${probe.steps}: stopped on validation`,
    );
    // The weights it returns are the ones with the best validation loss, not the last ones.
    const read = predictMlpProbe(probe, val.x, val.n);
    let se = 0;
    for (let i = 0; i < val.n; i++) se += ((read[i] - val.y[i]) * probe.yScale[0]) ** 2;
    assert.ok(
      Math.abs(se / val.n - probe.valLoss![0]) < 1e-4,
      `validation loss ${se / val.n} vs kept ${probe.valLoss}`,
    );
  } finally {
    disposeMlpProbe(blind);
    disposeMlpProbe(probe);
  }
});

test('MLP probe: given the ridge as a candidate, it reads every target at least as well as the ridge on the validation rows, each by its own best', () => {
  const rng = new Rng(5);
  // Targets: v (bent in the features), a weighted sum of the noise columns (the ridge reads it exactly), pure noise.
  const rows = (n: number): ProbeRows => {
    const r = bentRows(n, 4, rng);
    const y = new Float64Array(n * 3);
    for (let i = 0; i < n; i++) {
      const x = (j: number) => r.x[i * 6 + j] as number;
      [y[i * 3], y[i * 3 + 1], y[i * 3 + 2]] = [r.y[i] as number, 2 * x(2) - x(3) + 0.5 * x(4), rng.normal()];
    }
    return { x: r.x, y, n };
  };
  const [fit, val, held] = [rows(600), rows(200), rows(400)];
  const ridge = fitRidge(fit.x, fit.y, fit.n, 1e-3 * fit.n);
  const probe = fitMlpProbe(fit, val, 0, ridge);
  try {
    const mse = (read: ArrayLike<number>) =>
      [0, 1, 2].map((d) => {
        let se = 0;
        for (let i = 0; i < val.n; i++) se += ((read[i * 3 + d] as number) - (val.y[i * 3 + d] as number)) ** 2;
        return se / val.n;
      });
    const mlp = mse(predictMlpProbe(probe, val.x, val.n));
    const lin = mse(predictRidge(ridge, val.x, val.n));
    mlp.forEach((m, d) => assert.ok(m <= lin[d] * (1 + 1e-4) + 1e-9, `target ${d}: MLP ${m} vs ridge ${lin[d]}`));
    assert.ok(mlp[0] < 0.2 * lin[0], `the bent target: MLP ${mlp[0]} vs ridge ${lin[0]}`);
    const r2 = r2Score(held.y, predictMlpProbe(probe, held.x, held.n), held.n);
    assert.ok(r2[0] > 0.95 && r2[1] > 0.99 && Math.abs(r2[2]) < 0.1, `held-out R² ${r2}`);
  } finally {
    disposeMlpProbe(probe);
  }
});

test('MLP probe: a read never leaves the range of the values it was fitted on, far from the rows it saw', () => {
  const rng = new Rng(6);
  // y = x on x in [−1, 1]: a ReLU net extends the line beyond, so x = ±50 would read near ±50.
  const rows = (n: number, span: number): ProbeRows => {
    const x = Float64Array.from({ length: n }, () => rng.uniform(-span, span));
    return { x, y: Float64Array.from(x), n };
  };
  const probe = fitMlpProbe(rows(300, 1), rows(100, 1), 0);
  try {
    const far = predictMlpProbe(probe, Float64Array.of(-50, 50, 0.5), 3);
    assert.ok(far[0] >= probe.yMin[0] && far[0] < -0.9, `x = −50 reads ${far[0]}`);
    assert.ok(far[1] <= probe.yMax[0] && far[1] > 0.9, `x = 50 reads ${far[1]}`);
    assert.ok(Math.abs(far[2] - 0.5) < 0.1, `x = 0.5 reads ${far[2]}`);
  } finally {
    disposeMlpProbe(probe);
  }
});

test('MLP probe: a constant target is read as its value; the same seed gives the same read; every tensor is freed', () => {
  const start = tf.memory().numTensors;
  const rng = new Rng(3);
  const fit = bentRows(200, 1, rng);
  const two = {
    x: fit.x,
    y: Float64Array.from({ length: fit.n * 2 }, (_, k) => (k % 2 ? 4.5 : fit.y[k >> 1])),
    n: fit.n,
  };
  const a = fitMlpProbe(two, null, 7);
  const b = fitMlpProbe(two, null, 7);
  const ra = predictMlpProbe(a, fit.x, fit.n);
  const rb = predictMlpProbe(b, fit.x, fit.n);
  assert.deepEqual(ra, rb);
  for (let i = 0; i < fit.n; i++) assert.ok(Math.abs(ra[i * 2 + 1] - 4.5) < 1e-6, `constant read ${ra[i * 2 + 1]}`);
  disposeMlpProbe(a);
  disposeMlpProbe(b);
  assert.equal(tf.memory().numTensors, start);
});
