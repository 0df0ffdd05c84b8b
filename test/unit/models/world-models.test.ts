import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { Rng } from '../../../core/util/rng.ts';
import { UserError } from '../../../core/util/errors.ts';
import { disposeParams } from '../../../core/models/nn.ts';
import { PRESETS, resolveWorldModelsConfig, type VaeConfig } from '../../../core/models/world-models/config.ts';
import { decode, encode, initVae, vaeLoss } from '../../../core/models/world-models/vae.ts';
import { mixtureNll, type MdnOutputs } from '../../../core/models/world-models/mdn-rnn.ts';
import {
  controllerAction,
  controllerSize,
  MdnCell,
  type ActionSpec,
  type MdnWeights,
} from '../../../core/models/world-models/dream-kernel.ts';

before(async () => {
  await initBackend();
});

const close = (a: number, b: number, rel: number, what: string) =>
  assert.ok(Math.abs(a - b) <= rel * Math.max(1, Math.abs(b)), `${what}: ${a} vs expected ${b}`);

test('VAE loss = mean over images of (pixel SSE + max(KL, klTolerance·zDim)), checked against a plain-JS computation', () => {
  const base: VaeConfig = { ...PRESETS.debug.vae, zDim: 4 };
  const rng = new Rng(3);
  const p = initVae(base, rng);
  const B = 4;
  const S = base.imageSize;
  const px = S * S * 3;
  // Distinct images (different brightness) so the per-image KLs differ.
  const xData = Float32Array.from({ length: B * px }, (_, i) => Math.min(1, rng.next() * (1 + Math.floor(i / px))));
  const epsData = Float32Array.from({ length: B * base.zDim }, () => rng.normal());
  const x = tf.tensor4d(xData, [B, S, S, 3]);
  const eps = tf.tensor2d(epsData, [B, base.zDim]);
  const enc = encode(p, base, x);
  const muA = enc.mu.arraySync();
  const lvA = enc.logvar.arraySync();
  const z = tf.tensor2d(
    muA.map((row, b) => row.map((m, d) => m + Math.exp(0.5 * lvA[b][d]) * epsData[b * base.zDim + d])),
  );
  const recon = decode(p, base, z).dataSync();
  const sse = muA.map((_, b) => {
    let s = 0;
    for (let i = 0; i < px; i++) s += (xData[b * px + i] - recon[b * px + i]) ** 2;
    return s;
  });
  const kls = muA.map((row, b) => row.reduce((s, m, d) => s - 0.5 * (1 + lvA[b][d] - m * m - Math.exp(lvA[b][d])), 0));
  const sorted = [...kls].sort((a, b) => a - b);
  // Tolerances: the WMx 0.5, one where the floor binds for every image, and one between the KLs (both branches).
  for (const tol of [0.5, (sorted[B - 1] + 1) / base.zDim, (sorted[1] + sorted[2]) / 2 / base.zDim]) {
    const cfg = { ...base, klTolerance: tol };
    const { loss, metrics } = vaeLoss(p, cfg, x, eps);
    const expected = sse.reduce((s, e, b) => s + (e + Math.max(kls[b], tol * cfg.zDim)) / B, 0);
    close(loss.dataSync()[0], expected, 1e-4, `vae loss (tolerance ${tol})`);
    close(
      metrics.kl.dataSync()[0],
      kls.reduce((a, k) => a + k / B, 0),
      1e-4,
      'kl metric (unfloored)',
    );
    close(
      metrics.recon_loss.dataSync()[0],
      sse.reduce((a, e) => a + e / B, 0),
      1e-4,
      'recon_loss = mean per-image SSE',
    );
    tf.dispose([loss, ...Object.values(metrics)]);
  }
  tf.dispose([x, eps, enc.mu, enc.logvar, z]);
  disposeParams(p);
});

/** −log Σ_k π_k N(y | μ_k, σ_k) with an explicit max-shifted logsumexp. */
function nllJs(logits: number[], mu: number[], logsigma: number[], y: number): number {
  const mx = Math.max(...logits);
  const lse = mx + Math.log(logits.reduce((s, l) => s + Math.exp(l - mx), 0));
  const terms = logits.map(
    (l, k) => l - lse - 0.5 * ((y - mu[k]) / Math.exp(logsigma[k])) ** 2 - logsigma[k] - 0.5 * Math.log(2 * Math.PI),
  );
  const m = Math.max(...terms);
  return -(m + Math.log(terms.reduce((s, t) => s + Math.exp(t - m), 0)));
}

test('MDN mixture NLL matches an independent logsumexp computation, including far-out targets', () => {
  const rng = new Rng(5);
  const N = 4,
    Z = 3,
    K = 5;
  const logits = Array.from({ length: N * Z * K }, () => rng.normal() * 2);
  const mu = Array.from({ length: N * Z * K }, () => rng.normal());
  const ls = Array.from({ length: N * Z * K }, () => rng.normal() * 0.5 - 1);
  // Far targets (|y| = 40 with σ ≈ e⁻¹) underflow a naive Σ π·N: the logsumexp path must stay finite.
  const y = Array.from({ length: N * Z }, (_, i) => (i === 0 ? 40 : rng.normal()));
  const lg = tf.tensor3d(logits, [N, Z, K]);
  const o: MdnOutputs = {
    logpi: tf.sub(lg, tf.logSumExp(lg, -1, true)) as tf.Tensor3D,
    mu: tf.tensor3d(mu, [N, Z, K]),
    logsigma: tf.tensor3d(ls, [N, Z, K]),
  };
  const got = mixtureNll(o, tf.tensor2d(y, [N, Z])).dataSync();
  for (let i = 0; i < N * Z; i++) {
    const sl = (a: number[]) => a.slice(i * K, (i + 1) * K);
    const want = nllJs(sl(logits), sl(mu), sl(ls), y[i]);
    assert.ok(Number.isFinite(got[i]), `row ${i} NLL is not finite`);
    close(got[i], want, 1e-4, `nll[${i}]`);
  }
  assert.ok(got[0] > 1000, `a target 40 away from every component should cost a lot, got ${got[0]}`);
  tf.dispose([lg, o.logpi, o.mu, o.logsigma]);
});

/** An MdnCell with 1 latent dim whose head output is set by hand (weights are unused by nextZ). */
function cellWithHead(logits: number[], mus: number[], logsigmas: number[]): MdnCell {
  const K = logits.length;
  const w: MdnWeights = {
    zDim: 1,
    actionDim: 1,
    hidden: 1,
    mixtures: K,
    rewardHead: false,
    doneHead: false,
    wx: new Float32Array(8),
    wh: new Float32Array(4),
    b: new Float32Array(4),
    headW: new Float32Array(3 * K),
    headB: new Float32Array(3 * K),
  };
  const cell = new MdnCell(w);
  cell.out.set([...logits, ...mus, ...logsigmas]);
  return cell;
}

test('temperature: components are drawn from softmax(logπ/τ) and the spread is σ·√τ', () => {
  const rng = new Rng(11);
  const n = 20000;
  const z = new Float32Array(1);
  // Two far-apart components, π = (0.8, 0.2): at τ = 2 the draw frequencies become ∝ √π = (0.667, 0.333).
  for (const [tau, want] of [
    [1, 0.8],
    [2, Math.sqrt(0.8) / (Math.sqrt(0.8) + Math.sqrt(0.2))],
    [0.25, 0.8 ** 4 / (0.8 ** 4 + 0.2 ** 4)],
  ]) {
    const cell = cellWithHead([Math.log(0.8), Math.log(0.2)], [0, 100], [Math.log(0.01), Math.log(0.01)]);
    let first = 0;
    for (let i = 0; i < n; i++) if (cell.nextZ(tau, rng, z)[0] < 50) first++;
    close(first / n, want, 0.03, `P(component 0) at τ=${tau}`);
  }
  // One component with σ = 0.5: the sample std is 0.5·√τ.
  for (const tau of [1, 4]) {
    const cell = cellWithHead([0], [2], [Math.log(0.5)]);
    let s = 0,
      s2 = 0;
    for (let i = 0; i < n; i++) {
      const v = cell.nextZ(tau, rng, z)[0];
      s += v;
      s2 += v * v;
    }
    const m = s / n;
    close(m, 2, 0.03, `mean at τ=${tau}`);
    close(Math.sqrt(s2 / n - m * m), 0.5 * Math.sqrt(tau), 0.04, `std at τ=${tau}`);
  }
  // τ = 0: the deterministic mixture mean Σ π_k μ_k.
  const cell = cellWithHead([Math.log(0.25), Math.log(0.75)], [4, 8], [0, 0]);
  close(cell.nextZ(0, rng, z)[0], 0.25 * 4 + 0.75 * 8, 1e-5, 'mixture mean at τ=0');
});

test('controller: a = tanh(W[z,h] + b) mapped into the box, one-hot for discrete, with (z+h)·A + A parameters', () => {
  assert.equal(controllerSize(32, 256, 3), 867); // WMx CarRacing controller size
  const rng = new Rng(2);
  const zDim = 4,
    H = 6;
  const box = {
    kind: 'box',
    low: [-1, 0, 0],
    high: [1, 1, 1],
    map: ['affine', 'affine', 'affine'],
  } satisfies ActionSpec;
  for (let trial = 0; trial < 50; trial++) {
    const theta = Array.from({ length: controllerSize(zDim, H, 3) }, () => rng.normal() * 5);
    const z = Array.from({ length: zDim }, () => rng.normal());
    const h = Array.from({ length: H }, () => rng.uniform(-1, 1));
    const a = controllerAction(theta, z, h, box);
    assert.equal(a.length, 3);
    a.forEach((v, j) =>
      assert.ok(v >= box.low[j] && v <= box.high[j], `action ${j} = ${v} outside [${box.low[j]}, ${box.high[j]}]`),
    );
    // Independent: tanh(W[z,h]+b) then the affine map onto [low, high].
    for (let j = 0; j < 3; j++) {
      let s = theta[(zDim + H) * 3 + j];
      [...z, ...h].forEach((x, i) => (s += x * theta[i * 3 + j]));
      close(a[j], box.low[j] + ((Math.tanh(s) + 1) / 2) * (box.high[j] - box.low[j]), 1e-5, `a[${j}]`);
    }
  }
  // Zero weights: the middle of each box dimension.
  assert.deepEqual(
    Array.from(
      controllerAction(
        new Array(controllerSize(zDim, H, 3)).fill(0),
        new Array(zDim).fill(1),
        new Array(H).fill(1),
        box,
      ),
    ),
    [0, 0.5, 0.5],
  );
  const disc: ActionSpec = { kind: 'discrete', n: 5 };
  const theta = new Array(controllerSize(zDim, H, 5)).fill(0);
  theta[(zDim + H) * 5 + 3] = 1; // bias favours action 3
  assert.deepEqual(
    Array.from(controllerAction(theta, new Array(zDim).fill(0), new Array(H).fill(0), disc)),
    [0, 0, 0, 1, 0],
  );
});

test('config validation errors name the field and what was expected', () => {
  const bad = (over: unknown, field: RegExp, preset = 'debug') => {
    assert.throws(
      () => resolveWorldModelsConfig(preset, over),
      (e: unknown) => {
        assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
        assert.match(e.message, field);
        return true;
      },
    );
  };
  bad({ vae: { zDim: 0 } }, /vae\.zDim/);
  bad({ rnn: { lr: -1 } }, /rnn\.lr/);
  bad({ controller: { population: 2 } }, /controller\.population/);
  bad({ vae: { decKernels: [5, 6] } }, /vae\.decKernels: expected 3 kernels/);
  bad({ vae: { decKernels: [5, 5, 5] } }, /vae\.decKernels: .*produce 29px images, expected imageSize 32/);
  bad({ vae: { encChannels: [8, 8, 8, 8, 8] } }, /vae\.encChannels: the encoder shrinks 32px/);
  bad({ rnn: { hiden: 8 } }, /hiden/);
  bad({}, /unknown world-models preset 'huge': expected one of default, small, debug/, 'huge');
  // Valid overrides merge onto the preset and keep every other value.
  const c = resolveWorldModelsConfig('default', { rnn: { hidden: 128 } });
  assert.equal(c.rnn.hidden, 128);
  assert.equal(c.rnn.mixtures, 5);
  assert.equal(c.vae.zDim, 32);
});
