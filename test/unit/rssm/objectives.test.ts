import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { contrastive, infoNceLoss, priorCriticLoss } from '../../../core/models/rssm/objectives/contrastive.ts';
import { SeedStream } from '../../../core/models/rssm/seed-stream.ts';
import {
  emaUpdate,
  l2Normalize,
  protoLosses,
  sinkhorn,
  prototypes,
} from '../../../core/models/rssm/objectives/prototypes.ts';
import { drawShifts, translateFrame, twoShiftedViews } from '../../../core/models/rssm/objectives/views.ts';
import { parseRssmConfig, rssmConfig, withActionDim } from '../../../core/models/rssm/config.ts';
import {
  computeLosses,
  createRssmModel,
  disposeRssmModel,
  observeBatch,
  trainStep,
} from '../../../core/models/rssm/world-model.ts';
import type { GaussianDist } from '../../../core/models/rssm/distributions.ts';
import { Rng } from '../../../core/util/rng.ts';
import { disposeBatch, randomBatch } from './helpers.ts';

// Reference values computed with numpy by test/fixtures/rssm-objectives/make_fixtures.py (independent of our code).
const F = JSON.parse(readFileSync(new URL('../../fixtures/rssm-objectives/fixtures.json', import.meta.url), 'utf8'));

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
const t2 = (x: number[][]) => tf.tensor2d(x);

before(async () => {
  await initBackend();
});

test('InfoNCE over all B·T pairs of the batch matches numpy (CVRL ContrastiveObsModel)', () => {
  const f = F.infonce;
  const loss = tf.tidy(() => infoNceLoss(t2(f.z), t2(f.x)).dataSync()[0]);
  close([loss], [f.loss], 1e-5, 'infonce');
});

test('TPC prior-density critic: InfoNCE over ln p(z̄_b′ | h_b) at each step after warm-up matches numpy', () => {
  const f = F.tpc;
  const t3 = (x: number[][][]) => tf.tensor3d(x);
  const loss = tf.tidy(() => priorCriticLoss(t3(f.zbar), t3(f.mean), t3(f.std), f.warmUp).dataSync()[0]);
  close([loss], [f.loss], 1e-5, 'tpc');
  // The warm-up matters: keeping the first step gives another value.
  const all = tf.tidy(() => priorCriticLoss(t3(f.zbar), t3(f.mean), t3(f.std), 0).dataSync()[0]);
  assert.ok(Math.abs(all - f.loss) > 1e-3, `warm-up 0 gives ${all}, warm-up 1 ${f.loss}`);
});

test("contrastive critic 'prior' scores the posterior mean under the model's prior, with no f/g critic", () => {
  const c = withActionDim(rssmConfig('cvrl-debug', { contrastive: { critic: 'prior' } }), 1);
  const m = createRssmModel(c, 5);
  assert.ok(!Object.keys(m.params).some((k) => k.startsWith('contrast/')), 'no critic networks');
  const batch = randomBatch(4, 6, c.image.size);
  // seeds null: no latent noise and no perturbation, so the term is the critic of the posterior mean exactly.
  const [got, want] = tf.tidy(() => {
    const { post, prior } = observeBatch(m.params, c, batch, null);
    const q = post.dist as GaussianDist;
    const p = prior.dist as GaussianDist;
    const w = priorCriticLoss(q.mean as tf.Tensor3D, p.mean as tf.Tensor3D, p.std as tf.Tensor3D, c.contrastive.warmUp);
    const l = computeLosses(m.params, c, batch, null, m.targets, 0);
    return [l.metrics.contrastive_loss.dataSync()[0], w.dataSync()[0]];
  });
  close([got], [want], 1e-6, 'contrastive_loss with the prior critic');
  // In training z̄ = posterior mean + N(0, perturbStd²): no noise at std 0; the noise changes the loss otherwise.
  const term = (perturbStd: number) =>
    tf.tidy(() => {
      const cc = { ...c, contrastive: { ...c.contrastive, perturbStd } };
      const embed = tf.zeros([4, 6, 1]) as tf.Tensor3D;
      const { post, prior, feat } = observeBatch(m.params, cc, batch, null);
      const x = { params: m.params, targets: m.targets, config: cc, batch, embed, feat, post, prior, updates: 0 };
      return contrastive.terms({ ...x, seeds: new SeedStream(7) }).contrastive.value.dataSync()[0];
    });
  close([term(0)], [want], 1e-6, 'perturbStd 0');
  assert.ok(Math.abs(term(0.2) - want) > 1e-5, `perturbStd 0.2 gives ${term(0.2)} vs ${want} without noise`);
  disposeBatch(batch);
  disposeRssmModel(m);
});

test('Sinkhorn-Knopp matches numpy; columns sum to 1 and, with many iterations, rows to N/K', () => {
  const s = F.sinkhorn;
  const [K, N] = [s.scores.length, s.scores[0].length];
  const q = tf.tidy(() => sinkhorn(t2(s.scores), s.eps, s.iters).arraySync());
  close(flat(q), flat(s.q), 1e-4, 'sinkhorn q');
  for (let n = 0; n < N; n++) close([q.reduce((a, r) => a + r[n], 0)], [1], 1e-5, `column ${n}`);
  const many = tf.tidy(() => sinkhorn(t2(s.scores), s.eps, 200).arraySync());
  close(flat(many), flat(s.q_many), 1e-3, 'sinkhorn 200 iterations');
  for (let k = 0; k < K; k++) close([many[k].reduce((a, b) => a + b, 0)], [N / K], 1e-3, `row ${k}`);
});

test('prototypes are L2-normalised as numpy, and re-normalised to unit rows before every step', () => {
  const y = tf.tidy(() => l2Normalize(t2(F.l2.x)).dataSync());
  close(y, flat(F.l2.y), 1e-5, 'l2');
  const c = withActionDim(rssmConfig('dreamerpro-debug'), 1);
  const m = createRssmModel(c, 0);
  const norms = () => tf.tidy(() => Array.from(tf.norm(m.params['proto/prototypes'], 'euclidean', -1).dataSync()));
  assert.ok(
    norms().some((n) => Math.abs(n - 1) > 0.1),
    'initial prototypes are not unit length',
  );
  prototypes.beforeStep!(m.params, c);
  close(norms(), Array(c.prototypes.count).fill(1), 1e-5, 'norms after renormalisation');
  disposeRssmModel(m);
});

test('the EMA update matches numpy, and the first update copies the online weights', () => {
  const e = F.ema;
  const online = { w: tf.variable(t2(e.online)) };
  const target = { w: tf.variable(t2(e.target)) };
  emaUpdate(target, online, e.mix);
  close(target.w.dataSync(), flat(e.after), 1e-5, 'ema');
  tf.dispose([online.w, target.w]);
  // Through the objective: after update 0 the target equals the online encoder, after update 1 it lags behind.
  const c = withActionDim(rssmConfig('dreamerpro-debug'), 1);
  const m = createRssmModel(c, 0);
  const batch = randomBatch(4, 6, c.image.size);
  const key = 'enc/conv0/w';
  trainStep(m, batch);
  close(m.targets[key].dataSync(), Array.from(m.params[key].dataSync()), 1e-7, 'target after update 0');
  const before = Array.from(m.targets[key].dataSync());
  trainStep(m, batch);
  const now = m.params[key].dataSync();
  const expected = before.map((d, i) => 0.05 * now[i] + 0.95 * d);
  close(m.targets[key].dataSync(), expected, 1e-5, 'target after update 1');
  assert.equal(Object.keys(m.optimizer.m).filter((k) => !(k in m.params)).length, 0, 'the optimiser holds only params');
  disposeBatch(batch);
  disposeRssmModel(m);
});

test('the SwAV, temporal and norm losses match numpy (DreamerPro proto_loss)', () => {
  const p = F.proto;
  const r = tf.tidy(() => {
    const l = protoLosses(t2(p.obs_raw), t2(p.feat_raw), t2(p.ema), t2(p.C), p.B2, p.T, {
      temperature: p.temperature,
      sinkhornEps: p.eps,
      sinkhornIters: p.iters,
      warmUp: p.warmUp,
    });
    return [l.swav, l.temp, l.norm].map((x) => x.dataSync()[0]);
  });
  close(r, [p.swav, p.temp, p.norm], 1e-4, 'swav, temp, norm');
});

test('bilinear translation with edge fill matches numpy, and a sequence has one shift across time', () => {
  const tr = F.translate;
  const S = tr.image.length;
  const img = Float32Array.from(flat(tr.image));
  tr.shifts.forEach(([dx, dy]: number[], i: number) => {
    const out = new Float32Array(S * S * 3);
    translateFrame(img, 0, out, 0, S, dx, dy);
    close(out, flat(tr.out[i]), 1e-4, `shift ${dx},${dy}`);
  });
  // Two windows of 3 identical frames: every frame of a sequence is moved by the same shift, and the second view
  // is a differently shifted copy of the same windows.
  const B = 2,
    L = 3,
    px = S * S * 3;
  const image = new Uint8Array(B * L * px);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < L; t++)
      image.set(
        img.map((v) => (v + 40 * b) % 256),
        (b * L + t) * px,
      );
  const a = {
    image,
    action: new Float32Array(B * L),
    reward: Float32Array.from({ length: B * L }, (_, i) => i),
    cont: new Float32Array(B * L).fill(1),
    isFirst: new Uint8Array(B * L),
    B,
    L,
  };
  const shifts = drawShifts(2 * B, 3, new Rng(4));
  assert.ok(shifts.every((s) => Math.abs(s) <= 3));
  const v = twoShiftedViews(a, S, shifts);
  assert.equal(v.B, 2 * B);
  assert.deepEqual(Array.from(v.reward), [...a.reward, ...a.reward]);
  for (let i = 0; i < 2 * B; i++) {
    const expected = new Float32Array(px);
    translateFrame(image, (i % B) * L * px, expected, 0, S, shifts[2 * i], shifts[2 * i + 1]);
    for (let t = 0; t < L; t++)
      close(v.image.subarray((i * L + t) * px, (i * L + t + 1) * px), Array.from(expected), 1e-6, `seq ${i} t ${t}`);
  }
});

for (const [objective, critic] of [
  ['contrastive', 'features'],
  ['contrastive', 'prior'],
  ['prototypes', 'features'],
] as const) {
  const what = objective === 'contrastive' ? `${objective}, critic ${critic}` : objective;
  test(`rssm train step (${what}): its terms are logged, loss decreases, no decoder, numTensors flat`, async () => {
    const c = withActionDim(rssmConfig('debug', { objective, contrastive: { critic } }), 1);
    const m = createRssmModel(c, 3);
    assert.ok(!Object.keys(m.params).some((k) => k.startsWith('dec/')), 'no pixel decoder is built');
    const batch = randomBatch(4, 8, c.image.size);
    const names = objective === 'contrastive' ? ['contrastive_loss'] : ['swav_loss', 'temp_loss', 'norm_loss'];
    const losses: number[] = [];
    let after1 = 0;
    for (let i = 0; i < 12; i++) {
      const r = trainStep(m, batch);
      assert.equal(r.skipped, false, r.reason);
      for (const k of [...names, 'reward_loss', 'kl_loss', 'kl', 'model_loss'])
        assert.ok(Number.isFinite(r.metrics[k]), `${k} = ${r.metrics[k]}`);
      assert.equal(r.metrics.image_loss, undefined);
      losses.push(r.metrics.model_loss);
      if (i === 1) after1 = tf.memory().numTensors;
    }
    assert.equal(tf.memory().numTensors, after1, 'no tensor leak across training steps');
    assert.ok(losses[11] < losses[0], `loss went from ${losses[0]} to ${losses[11]}`);
    disposeBatch(batch);
    disposeRssmModel(m);
  });
}

test('prototypes stay frozen (unchanged) for freezeIters updates, then train', () => {
  const c = withActionDim(rssmConfig('dreamerpro-debug', { prototypes: { freezeIters: 2 } }), 1);
  const m = createRssmModel(c, 1);
  const batch = randomBatch(4, 6, c.image.size);
  const snap = () => Array.from(m.params['proto/prototypes'].dataSync());
  prototypes.beforeStep!(m.params, c);
  const unit = snap();
  trainStep(m, batch);
  trainStep(m, batch);
  close(snap(), unit, 1e-6, 'frozen prototypes');
  trainStep(m, batch);
  assert.ok(
    snap().some((v, i) => Math.abs(v - unit[i]) > 1e-6),
    'prototypes move once unfrozen',
  );
  disposeBatch(batch);
  disposeRssmModel(m);
});

test('presets cvrl and dreamerpro carry the references’ settings; any preset takes an objective override', () => {
  const cv = rssmConfig('cvrl');
  assert.equal(cv.objective, 'contrastive');
  assert.deepEqual([cv.contrastive.units, cv.contrastive.obsUnits], [200, 400]); // CVRL: deter_size, 2·deter_size
  assert.deepEqual(
    [cv.rssm.deter, cv.train.batch, cv.train.length, cv.train.lr, cv.loss.freeNats],
    [200, 50, 50, 6e-4, 3],
  );
  const dp = rssmConfig('dreamerpro');
  assert.equal(dp.objective, 'prototypes');
  assert.deepEqual(dp.prototypes, {
    count: 2500,
    dim: 32,
    temperature: 0.1,
    sinkhornEps: 0.0125,
    sinkhornIters: 3,
    freezeIters: 10000,
    emaFraction: 0.05,
    maxShift: 3,
    warmUp: 1,
    swavScale: 1,
    tempScale: 1,
    normScale: 1,
  });
  assert.deepEqual(
    [dp.rssm.deter, dp.rssm.hidden, dp.train.batch, dp.train.length, dp.loss.klBalance],
    [200, 200, 50, 51, 0.8],
  );
  assert.equal(rssmConfig('planet').objective, 'reconstruction');
  assert.equal(rssmConfig('debug', { objective: 'prototypes' }).prototypes.count, 64, 'debug-sized prototypes');
  assert.equal(rssmConfig('small', { objective: 'prototypes' }).prototypes.count, 500);
  assert.equal(rssmConfig('dreamerpro-debug').objective, 'prototypes');
  assert.equal(rssmConfig('cvrl-debug').objective, 'contrastive');
});

test('bad objective settings are one-line errors naming the field', () => {
  const check = (o: object, re: RegExp) =>
    assert.throws(
      () => rssmConfig('debug', o as never),
      (e: Error) => !e.message.includes('\n') && re.test(e.message),
    );
  check({ objective: 'pixels' }, /objective: .*reconstruction.*contrastive.*prototypes/);
  check({ objective: 'prototypes', prototypes: { warmUp: 16 } }, /prototypes\.warmUp: must be < train\.length \(16\)/);
  check({ prototypes: { count: 1e9 } }, /prototypes\.count: .*too large/);
  check({ contrastive: { units: 0 } }, /contrastive\.units/);
  check({ contrastive: { critic: 'energy' } }, /contrastive\.critic: .*features.*prior/);
  const discrete = { rssm: { latent: { kind: 'discrete', groups: 4, classes: 4, unimix: 0 } } };
  check(
    { objective: 'contrastive', contrastive: { critic: 'prior' }, ...discrete },
    /contrastive\.critic: 'prior' .*needs rssm\.latent\.kind 'gaussian', got 'discrete'/,
  );
  check(
    { objective: 'contrastive', contrastive: { critic: 'prior', warmUp: 16 } },
    /contrastive\.warmUp: must be < train\.length \(16\)/,
  );
  // A discrete latent with CVRL's feature critic stays valid, and so does a config written before the option.
  assert.equal(rssmConfig('cvrl-debug', discrete as never).contrastive.critic, 'features');
  const old = { ...rssmConfig('cvrl-debug'), contrastive: { units: 32, obsUnits: 64, scale: 1 } };
  assert.deepEqual(parseRssmConfig(old).contrastive, {
    units: 32,
    obsUnits: 64,
    scale: 1,
    critic: 'features',
    perturbStd: 0.2,
    warmUp: 1,
  });
});

test('the model loss is Σ scale · value over the named terms of every objective', () => {
  const scales = { loss: { imageScale: 0.5, rewardScale: 2, contScale: 0.25, klScale: 0.75 } };
  for (const [objective, own] of [
    ['reconstruction', { image: 0.5 }],
    ['contrastive', { contrastive: 3 }],
    ['prototypes', { swav: 0.7, temp: 1.3, norm: 0.4 }],
  ] as const) {
    const c = withActionDim(
      rssmConfig('debug', {
        ...scales,
        objective,
        contrastive: { scale: 3 },
        prototypes: { swavScale: 0.7, tempScale: 1.3, normScale: 0.4 },
      }),
      1,
    );
    const m = createRssmModel(c, 2);
    const batch = randomBatch(4, 6, c.image.size);
    const r = trainStep(m, batch).metrics;
    const terms: Record<string, number> = { ...own, reward: 2, cont: 0.25, kl: 0.75, overshooting: 0 };
    const sum = Object.entries(terms).reduce((s, [k, w]) => s + w * r[`${k}_loss`], 0);
    close([r.model_loss], [sum], 1e-5, `${objective} model_loss`);
    disposeBatch(batch);
    disposeRssmModel(m);
  }
});
