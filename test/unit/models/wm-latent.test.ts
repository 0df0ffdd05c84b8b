import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { makeEnv } from '../../../core/envs/registry.ts';
import { Rng } from '../../../core/util/rng.ts';
import { resolveWorldModelsConfig } from '../../../core/models/world-models/config.ts';
import { initVae } from '../../../core/models/world-models/vae.ts';
import { initMdnRnn } from '../../../core/models/world-models/mdn-rnn.ts';
import { controllerRealReturn, exportMdnWeights } from '../../../core/models/world-models/controller.ts';
import { controllerSize } from '../../../core/models/world-models/dream-kernel.ts';
import { WorldModelsLatentModel } from '../../../core/models/world-models/latent-model.ts';
import { LatentAgent } from '../../../core/agents/latent-agent.ts';
import { LinearController } from '../../../core/agents/linear-controller.ts';
import { CemPlanner } from '../../../core/agents/cem.ts';
import { rolloutEpisode } from '../../../core/agents/rollout.ts';
import { disposeParams } from '../../../core/models/nn.ts';

before(async () => {
  await initBackend('cpu');
});

function tinyWorldModel() {
  const c = resolveWorldModelsConfig('debug', { rnn: { rewardHead: true } });
  const rng = new Rng(3);
  const vae = initVae(c.vae, rng);
  const rnn = initMdnRnn(c.rnn, { zDim: c.vae.zDim, actionDim: 1 }, rng);
  // A trained-looking LSTM bias (an untrained one maps a zero input to h = 0 and hides how the first frame is filtered).
  const b = rnn['rnn/lstm/b'];
  b.assign(tf.tensor1d(Array.from({ length: b.size }, () => rng.normal() * 0.5)));
  return { c, vae, rnn };
}

test('World Models behind the behaviour interface: its controller through the shared rollout loop scores as the WMx rollout does', () => {
  const { c, vae, rnn } = tinyWorldModel();
  const env = makeEnv('cartpole-swingup', { size: c.vae.imageSize, maxSteps: 15 });
  const wm = new WorldModelsLatentModel(vae, c.vae, rnn, c.rnn, env.actionSpace);
  assert.equal(wm.featureSize, c.vae.zDim + c.rnn.hidden);
  assert.equal(wm.hasContinuation, false);
  const rng = new Rng(5);
  const theta = Array.from({ length: controllerSize(c.vae.zDim, c.rnn.hidden, 1) }, () => rng.normal() * 0.5);
  const weights = exportMdnWeights(rnn, c.rnn, c.vae.zDim, 1);
  const ref = controllerRealReturn(vae, c.vae, weights, theta, {
    env: 'cartpole-swingup',
    episodes: 2,
    seed: 11,
    maxSteps: 15,
  });
  const ours = [0, 1].map((e) => {
    const agent = new LatentAgent(wm, new LinearController(theta), {
      noise: 0,
      seed: e,
      frameSize: c.vae.imageSize,
      explore: false,
    });
    const r = rolloutEpisode(env, agent, 11 + e).ret;
    agent.dispose();
    return r;
  });
  ours.forEach((r, i) => assert.ok(Math.abs(r - ref.returns[i]) < 1e-3, `episode ${i}: ${r} vs ${ref.returns[i]}`));
  disposeParams(vae);
  disposeParams(rnn);
});

test('World Models × CEM: the planner plans in the MDN-RNN dream and drives the env without leaking tensors', () => {
  const { c, vae, rnn } = tinyWorldModel();
  const env = makeEnv('cartpole-swingup', { size: c.vae.imageSize, maxSteps: 4 });
  const wm = new WorldModelsLatentModel(vae, c.vae, rnn, c.rnn, env.actionSpace);
  const planner = new CemPlanner({ horizon: 4, candidates: 30, topK: 5, iterations: 2 });
  const agent = new LatentAgent(wm, planner, { noise: 0, seed: 1, frameSize: c.vae.imageSize, explore: false });
  rolloutEpisode(env, agent, 1);
  agent.reset();
  const n0 = tf.memory().numTensors;
  const { episode } = rolloutEpisode(env, agent, 2);
  agent.reset();
  assert.equal(tf.memory().numTensors, n0);
  assert.equal(episode.imageShape[0], 5);
  assert.ok(Number.isFinite(planner.lastPlanReturn));
  agent.dispose();
  disposeParams(vae);
  disposeParams(rnn);
});
