import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { makeEnv } from '../../../core/envs/registry.ts';
import { randomPolicy } from '../../../core/agents/random-agents.ts';
import { rolloutEpisode } from '../../../core/agents/rollout.ts';
import { Rng } from '../../../core/util/rng.ts';
import { rssmFamily } from '../../../core/models/rssm/family.ts';
import { namedParams } from '../../../core/models/nn.ts';
import { rssmConfig, withActionDim } from '../../../core/models/rssm/config.ts';
import { createRssmModel, disposeRssmModel } from '../../../core/models/rssm/world-model.ts';

before(async () => {
  await initBackend();
});

test('loaded RSSM: evaluate reports every metric with its baseline; open loop and dream session shapes; no leaks', async () => {
  const env = makeEnv('cartpole-swingup', { size: 64, maxSteps: 60 });
  const eps = [0, 1].map((i) => rolloutEpisode(env, randomPolicy(env.actionSpace, new Rng(i)), i).episode);
  const config = rssmConfig('debug');
  const m = createRssmModel(withActionDim(config, 1), 0);
  const data = {
    dataset: 'mem',
    env: 'cartpole-swingup',
    actionSpace: env.actionSpace,
    imageSize: 64,
    train: [eps[0]],
    heldOut: [eps[1]],
  };
  const loaded = await rssmFamily.loadModel(
    { config, seed: 0, data, runDir: null, log: () => {} },
    { tensors: namedParams(m.params, 'model/'), state: { actionDim: 1 } },
  );
  disposeRssmModel(m);
  const before = tf.memory().numTensors;
  const metrics = await loaded.evaluate([eps[1]], { seed: 0, trainEpisodes: [eps[0]] });
  // The family's own metrics; the open-loop pixel measures every family reports come from core/runs/evaluate.ts
  // (test/unit/measures/families.test.ts).
  for (const k of ['kl', 'reward_mse']) {
    assert.ok(metrics[k], `${k} reported`);
    assert.ok(Number.isFinite(metrics[k].model) && Number.isFinite(metrics[k].baseline), `${k} finite`);
  }
  // 61 rows: episode of 60 steps. Dream from frame 30 with 5 context frames, 40 steps (past the end: 30 truth frames).
  const r = await loaded.openloop!(eps[1], { start: 30, horizon: 40, context: 5, temperature: 0, seed: 0 });
  const px = 32 * 32 * 3;
  assert.equal(r.size, 32);
  assert.deepEqual(r.contextIndices, [26, 27, 28, 29, 30]);
  assert.equal(r.dream.length, 40 * px);
  assert.equal(r.truth.length, 30 * px);
  assert.equal(r.contextRecon.length, 5 * px);
  assert.ok(r.mse.slice(0, 30).every(Number.isFinite) && r.mse.slice(30).every(Number.isNaN));
  assert.equal(r.reward?.length, 40, 'a reward prediction per dream step');
  const withF = await loaded.openloop!(eps[1], {
    start: 30,
    horizon: 4,
    context: 5,
    temperature: 0,
    seed: 0,
    features: true,
  });
  assert.equal(withF.features?.data.length, 4 * withF.features!.dim, 'dream features [horizon, F]');
  const filt = loaded.filterFeatures(eps[1]);
  assert.equal(filt.dim, withF.features!.dim);
  assert.equal(filt.data.length, 61 * filt.dim, 'filtered features at every row');
  const a = await loaded.openloop!(eps[1], { start: 30, horizon: 10, context: 5, temperature: 1, seed: 4 });
  const b = await loaded.openloop!(eps[1], { start: 30, horizon: 10, context: 5, temperature: 1, seed: 4 });
  assert.deepEqual(a.dream, b.dream, 'sampled dreams are deterministic under a seed');
  const dream = loaded.dreamSession!({ temperature: 0, seed: 0 });
  const f0 = dream.reset(eps[1].image.subarray(0, 64 * 64 * 3));
  assert.equal(f0.length, px);
  for (let i = 0; i < 3; i++) {
    const s = dream.step([0.5]);
    assert.equal(s.frame.length, px);
    assert.ok(Number.isFinite(s.reward));
  }
  dream.dispose();
  assert.equal(tf.memory().numTensors, before, 'evaluation, open loop and dream free their tensors');
  loaded.dispose();
});
