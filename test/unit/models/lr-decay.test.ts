import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { Adam, type Params } from '../../../core/models/nn.ts';
import { lrDecayFactor } from '../../../core/models/lr-decay.ts';
import { parseRssmConfig, rssmConfig, withActionDim } from '../../../core/models/rssm/config.ts';
import { createRssmModel, disposeRssmModel, trainStep } from '../../../core/models/rssm/world-model.ts';
import { isUserError } from '../../../core/util/errors.ts';
import { disposeBatch, randomBatch } from '../rssm/helpers.ts';

const DECAY = { start: 10, end: 50, final: 0.1 };

test('lrDecayFactor: 1 up to start, a cosine down to final at end, final after; null = constant', () => {
  for (const u of [0, 5, 10]) assert.equal(lrDecayFactor(DECAY, u), 1);
  for (const u of [50, 51, 1e6]) assert.equal(lrDecayFactor(DECAY, u), 0.1);
  // Halfway: cos(π/2) = 0, so final + (1 − final)/2; a quarter in: 0.1 + 0.9 · (1 + cos(π/4)) / 2.
  assert.ok(Math.abs(lrDecayFactor(DECAY, 30) - 0.55) < 1e-12);
  assert.ok(Math.abs(lrDecayFactor(DECAY, 20) - 0.8681980515339464) < 1e-12);
  let prev = 1;
  for (let u = 10; u <= 50; u++) {
    const f = lrDecayFactor(DECAY, u);
    assert.ok(f <= prev, `non-increasing at ${u}`);
    prev = f;
  }
  assert.equal(lrDecayFactor(null, 1e6), 1);
  assert.equal(lrDecayFactor(undefined, 1e6), 1);
});

let made = 0;
function scalarParams(): Params {
  // Adam keys gradients by variable name, and the engine refuses a name twice.
  return { w: tf.tidy(() => tf.variable(tf.tensor1d([1, -2, 3]), true, `lr-decay-test/w${made++}`)) };
}

test('Adam under lrDecay: each update is the constant-lr update scaled by the factor of its step', async () => {
  await initBackend();
  const decay = { start: 1, end: 3, final: 0.25 };
  const a = scalarParams();
  const b = scalarParams();
  const plain = new Adam(a, { lr: 0.1 });
  const decayed = new Adam(b, { lr: 0.1, lrDecay: decay });
  // The same gradients on both (a loss linear in w: the gradient does not depend on w), so Adam's moments match
  // and only the step size differs.
  const loss = (p: Params) => () => ({ loss: tf.sum(tf.mul(p.w, tf.tensor1d([0.5, -1, 2]))) as tf.Scalar });
  const before = tf.memory().numTensors;
  for (let step = 0; step < 5; step++) {
    assert.ok(Math.abs(decayed.lr - 0.1 * lrDecayFactor(decay, step)) < 1e-15, `lr at ${step}`);
    const a0 = a.w.dataSync().slice();
    const b0 = b.w.dataSync().slice();
    plain.step(loss(a));
    decayed.step(loss(b));
    const da = a.w.dataSync().map((x, i) => x - a0[i]);
    const db = b.w.dataSync().map((x, i) => x - b0[i]);
    const f = lrDecayFactor(decay, step);
    for (let i = 0; i < 3; i++)
      assert.ok(Math.abs(db[i] - f * da[i]) < 1e-6, `step ${step}: ${db[i]} vs ${f}·${da[i]}`);
  }
  assert.equal(tf.memory().numTensors, before, 'no tensors leaked');
  // Factors used: 1, 1, 0.625, 0.25, 0.25: the decay did change the late steps.
  assert.ok(lrDecayFactor(decay, 2) < 1 && lrDecayFactor(decay, 4) === 0.25);
  plain.dispose();
  decayed.dispose();
  tf.dispose([a.w, b.w]);
});

test('Adam under lrDecay resumes its schedule from a checkpoint (the step count travels with the moments)', async () => {
  await initBackend();
  const decay = { start: 0, end: 6, final: 0.1 };
  const loss = (p: Params) => () => ({ loss: tf.sum(tf.square(p.w)) as tf.Scalar });
  const a = scalarParams();
  const straight = new Adam(a, { lr: 0.05, lrDecay: decay });
  for (let i = 0; i < 6; i++) straight.step(loss(a));
  const b = scalarParams();
  const first = new Adam(b, { lr: 0.05, lrDecay: decay });
  for (let i = 0; i < 3; i++) first.step(loss(b));
  const saved = first.state('opt/');
  const c = scalarParams();
  c.w.assign(b.w);
  const resumed = new Adam(c, { lr: 0.05, lrDecay: decay });
  resumed.loadState(saved.tensors, saved.t, 'opt/');
  assert.equal(resumed.lr, first.lr);
  for (let i = 0; i < 3; i++) resumed.step(loss(c));
  const want = a.w.dataSync();
  const got = c.w.dataSync();
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-6, `${got[i]} vs ${want[i]}`);
  for (const o of [straight, first, resumed]) o.dispose();
  tf.dispose([a.w, b.w, c.w]);
});

test('rssm train.lrDecay: the step reports the decayed lr; null by default and in old configs; a bad one refused', async () => {
  await initBackend();
  assert.equal(rssmConfig('small').train.lrDecay, null, 'the presets keep a constant lr');
  const { lrDecay: _d, ...oldTrain } = rssmConfig('debug').train;
  assert.equal(parseRssmConfig({ ...rssmConfig('debug'), train: oldTrain }).train.lrDecay, null);
  for (const [bad, re] of [
    [{ start: 5, end: 5, final: 0.1 }, /train\.lrDecay\.end: end must be greater than start/],
    [{ start: 0, end: 5, final: 2 }, /train\.lrDecay\.final/],
    [{ start: 0, end: 5, final: 0.1, warmup: 3 }, /train\.lrDecay/],
  ] as const) {
    assert.throws(
      () => rssmConfig('debug', { train: { lrDecay: bad as never } }),
      (e: unknown) => isUserError(e) && re.test((e as Error).message) && !(e as Error).message.includes('\n'),
      String(re),
    );
  }

  const cfg = withActionDim(rssmConfig('debug', { train: { lrDecay: { start: 0, end: 2, final: 0.5 } } }), 1);
  const m = createRssmModel(cfg, 3);
  const batch = randomBatch(2, 6, cfg.image.size);
  const lrs = [0, 1, 2, 3].map(() => trainStep(m, batch).metrics.lr);
  // 1e-3 · [1, 0.5 + 0.5·(1 + cos(π/2))/2, 0.5, 0.5]
  assert.deepEqual(
    lrs.map((x) => Number(x.toFixed(12))),
    [1e-3, 7.5e-4, 5e-4, 5e-4],
  );
  disposeRssmModel(m);
  const plain = createRssmModel(withActionDim(rssmConfig('debug'), 1), 3);
  assert.equal('lr' in trainStep(plain, batch).metrics, false, 'a constant lr is not reported per step');
  disposeRssmModel(plain);
  disposeBatch(batch);
});
