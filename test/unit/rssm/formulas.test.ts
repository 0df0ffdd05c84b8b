import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import {
  type CategoricalDist,
  type GaussianDist,
  categoricalFromRaw,
  klDivergence,
  straightThrough,
} from '../../../core/models/rssm/distributions.ts';
import { freeNats, klLoss } from '../../../core/models/rssm/losses.ts';
import { overshootingMask, shiftTime } from '../../../core/models/rssm/overshooting.ts';

// Reference values computed with numpy by test/fixtures/rssm/make_fixtures.py (independent of our code).
const F = JSON.parse(readFileSync(new URL('../../fixtures/rssm/fixtures.json', import.meta.url), 'utf8'));

function close(actual: ArrayLike<number>, expected: number[], tol = 1e-4, what = ''): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    assert.ok(
      err <= tol * Math.max(1, Math.abs(expected[i])),
      `${what}[${i}]: got ${actual[i]}, expected ${expected[i]}`,
    );
  }
}
const flat = (x: unknown): number[] => (x as number[]).flat(Infinity as 1) as number[];
const gauss = (m: tf.Tensor, s: tf.Tensor): GaussianDist => ({ kind: 'gaussian', mean: m, std: s });

before(async () => {
  await initBackend();
});

test('KL between diagonal Gaussians matches numpy', () => {
  const g = F.gaussian_kl;
  const kl = klDivergence(gauss(tf.tensor(g.qm), tf.tensor(g.qs)), gauss(tf.tensor(g.pm), tf.tensor(g.ps)));
  close(kl.dataSync(), g.kl, 1e-4, 'gaussian kl');
});

test('KL between categoricals (G groups × C classes) matches numpy, with and without 1% unimix', () => {
  const c = F.categorical_kl;
  const [n, groups, classes] = [2, 3, 4];
  for (const [u, expected] of [
    [0, c.kl],
    [0.01, c.kl_unimix],
  ] as [number, number[]][]) {
    const q = categoricalFromRaw(tf.reshape(tf.tensor(c.qraw), [n, groups * classes]), groups, classes, u);
    const p = categoricalFromRaw(tf.reshape(tf.tensor(c.praw), [n, groups * classes]), groups, classes, u);
    close(klDivergence(q, p).dataSync(), expected, 1e-4, `categorical kl u=${u}`);
  }
  assert.notEqual(c.kl[0], c.kl_unimix[0], 'the fixture distinguishes unimix');
});

test('free nats: per-element and after-mean placements, values and gradients', () => {
  const { free, cases } = F.free_nats;
  for (const cs of cases) {
    const kl = tf.tensor(cs.kl);
    for (const placement of ['element', 'mean'] as const) {
      const f = (x: tf.Tensor) => freeNats(x, free, placement);
      close(f(kl).dataSync(), [cs[placement]], 1e-5, `${placement} value`);
      close(tf.grad(f)(kl).dataSync(), flat(cs[`${placement}_grad`]), 1e-5, `${placement} grad`);
    }
  }
  // The two placements differ on the same input: the fixture's first case has mean above the floor.
  assert.notEqual(cases[0].element, cases[0].mean);
});

test('KL balancing: the posterior receives (1 − α) and the prior α of the KL gradient (Gaussian, numpy analytic)', () => {
  const g = F.kl_balance_gaussian;
  const k = F.gaussian_kl;
  const loss = (alpha: number | null) => (qm: tf.Tensor, qs: tf.Tensor, pm: tf.Tensor, ps: tf.Tensor) =>
    klLoss(gauss(qm, qs), gauss(pm, ps), { freeNats: 0, placement: 'element', balance: alpha }).loss;
  const args = [tf.tensor(k.qm), tf.tensor(k.qs), tf.tensor(k.pm), tf.tensor(k.ps)];
  const { value, grads } = tf.valueAndGrads(loss(g.alpha))(args);
  close(value.dataSync(), [g.loss], 1e-5, 'balanced value');
  close(grads[0].dataSync(), flat(g.grad_qm), 1e-4, 'd/d post mean');
  close(grads[1].dataSync(), flat(g.grad_qs), 1e-4, 'd/d post std');
  close(grads[2].dataSync(), flat(g.grad_pm), 1e-4, 'd/d prior mean');
  close(grads[3].dataSync(), flat(g.grad_ps), 1e-4, 'd/d prior std');
  // Unbalanced: both sides get the full gradient.
  const un = tf.grads(loss(null))(args);
  close(un[0].dataSync(), flat(g.grad_qm_unbalanced), 1e-4, 'unbalanced d/d post mean');
  close(un[2].dataSync(), flat(g.grad_pm_unbalanced), 1e-4, 'unbalanced d/d prior mean');
});

test('KL balancing gradients for categorical latents match numpy finite differences', () => {
  const g = F.kl_balance_categorical;
  const c = F.categorical_kl;
  const f = (qraw: tf.Tensor, praw: tf.Tensor) =>
    klLoss(
      categoricalFromRaw(tf.reshape(qraw, [2, 12]), 3, 4, 0),
      categoricalFromRaw(tf.reshape(praw, [2, 12]), 3, 4, 0),
      { freeNats: 0, placement: 'mean', balance: g.alpha },
    ).loss;
  const { value, grads } = tf.valueAndGrads(f)([tf.tensor(c.qraw), tf.tensor(c.praw)]);
  close(value.dataSync(), [g.loss], 1e-5, 'value');
  close(grads[0].dataSync(), flat(g.grad_q), 2e-4, 'd/d posterior logits');
  close(grads[1].dataSync(), flat(g.grad_p), 2e-4, 'd/d prior logits');
});

test('overshooting: target shift along time and validity mask (t + d < T, no episode start in (t, t+d])', () => {
  const o = F.overshooting;
  const isFirst = flat(o.is_first);
  for (const [d, m] of Object.entries(o.masks)) {
    assert.deepEqual(Array.from(overshootingMask(isFirst, 2, 6, Number(d))), flat(m), `mask d=${d}`);
  }
  close(shiftTime(tf.tensor(o.x), 2).dataSync(), flat(o.shift2), 0, 'shift by 2');
});

test('straight-through estimator: value is the one-hot sample, gradient is the softmax Jacobianᵀ·w (with unimix)', () => {
  const s = F.straight_through;
  for (const u of ['0.0', '0.01']) {
    const f = (raw: tf.Tensor) => {
      const d = categoricalFromRaw(tf.reshape(raw, [2, 6]), 2, 3, Number(u)) as CategoricalDist;
      const oneHot = tf.oneHot(tf.tensor2d(s.idx, [2, 2], 'int32'), 3);
      const sample = straightThrough(d, tf.cast(oneHot, 'float32'));
      close(sample.dataSync(), flat(s.value), 1e-6, 'sample value');
      return tf.sum(tf.mul(sample, tf.tensor(s.w)));
    };
    close(tf.grad(f)(tf.tensor(s.raw)).dataSync(), flat(s.grad[u]), 1e-4, `grad u=${u}`);
  }
});
