/**
 * Every family reports the issue-11 measures through core/runs/evaluate.ts (untrained debug models: this
 * checks the plumbing — keys, shapes, baselines, feature sizes, tensors freed — not learning).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { makeEnv } from '../../../core/envs/registry.ts';
import { randomPolicy } from '../../../core/agents/random-agents.ts';
import { rolloutEpisode } from '../../../core/agents/rollout.ts';
import { getFamily } from '../../../core/models/registry.ts';
import type { TrainData } from '../../../core/models/family.ts';
import { evaluateModel } from '../../../core/runs/evaluate.ts';
import { PROBE_STEPS } from '../../../core/runs/state-probe.ts';
import { Rng } from '../../../core/util/rng.ts';

before(async () => {
  await initBackend();
});

const env = makeEnv('cartpole-swingup', { size: 32, maxSteps: 30 });
const eps = Array.from(
  { length: 4 },
  (_, i) => rolloutEpisode(env, randomPolicy(env.actionSpace, new Rng(i)), 50 + i).episode,
);
const data: TrainData = {
  dataset: 'mem',
  env: 'cartpole-swingup',
  actionSpace: env.actionSpace,
  imageSize: 32,
  train: eps.slice(0, 3),
  heldOut: eps.slice(3),
};

for (const name of ['rssm', 'world-models']) {
  test(`${name}: eval reports pixel, foreground, reward and state-probe measures with their baselines; no leaks`, async () => {
    const family = await getFamily(name);
    const overrides = name === 'world-models' ? { controller: { enabled: false } } : {};
    const config = family.resolveConfig('debug', overrides);
    const ctx = { config, seed: 0, data, runDir: null, log: () => {} };
    const session = await family.createSession(ctx);
    const model = await family.loadModel(ctx, session.checkpoint());
    session.dispose();
    const before = tf.memory().numTensors;
    const r = await evaluateModel(model, data, { seed: 0 });
    assert.equal(tf.memory().numTensors, before, 'evaluation (and the random-init twin) free their tensors');
    model.dispose();
    const m = r.metrics;
    for (const h of [1, 5, 10, 20]) {
      for (const k of [`openloop_mse@${h}`, `openloop_fg_mse@${h}`]) {
        assert.ok(m[k], `${k} reported`);
        assert.deepEqual(Object.keys(m[k].baselines!).sort(), ['copy-last-frame', 'mean-frame'], k);
        assert.ok(Number.isFinite(m[k].model) && Number.isFinite(m[k].baseline), k);
      }
    }
    for (const h of [5, 10, 20]) {
      const k = `openloop_fg_mse_vs_shuffled@${h}`;
      assert.deepEqual(Object.keys(m[k].baselines!), ['shuffled actions'], k);
      assert.ok(Number.isFinite(m[k].model) && Number.isFinite(m[k].baseline), k);
    }
    assert.ok(m.recon_fg_mse && m.recon_mse.baseline_name === 'mean-frame');
    assert.deepEqual(Object.keys(m.openloop_reward_mse.baselines!).sort(), ['shuffled actions', 'train-mean reward']);
    for (const key of ['@0', `@${PROBE_STEPS}`]) {
      const p = m[`probe_r2/cos pole angle${key}`];
      assert.ok(p, `probe_r2/cos pole angle${key} reported`);
      assert.equal(p.baseline_name, 'random-init model');
      assert.equal(p.lower_is_better, false);
      assert.ok(Number.isFinite(p.model) && Number.isFinite(p.baseline));
    }
    assert.ok(r.foreground_fraction! > 0 && r.foreground_fraction! < 0.5);
    assert.ok(r.notes.some((n) => /state probe/.test(n)));
  });
}
