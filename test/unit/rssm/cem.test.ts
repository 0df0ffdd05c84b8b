import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { rssmConfig, withActionDim } from '../../../core/models/rssm/config.ts';
import { createRssmModel, disposeRssmModel } from '../../../core/models/rssm/world-model.ts';
import { initialState } from '../../../core/models/rssm/rssm.ts';
import { cemPlan, sequenceReturns, CEM_DEFAULTS, CemPlanner } from '../../../core/agents/cem.ts';
import { LatentAgent } from '../../../core/agents/latent-agent.ts';
import { rolloutEpisode } from '../../../core/agents/rollout.ts';
import { RssmLatentModel } from '../../../core/models/rssm/latent-model.ts';
import { makeEnv } from '../../../core/envs/registry.ts';

before(async () => {
  await initBackend();
});

test("CEM defaults are PlaNet's (horizon 12, 1000 candidates, top 100, 10 iterations)", () => {
  assert.deepEqual({ ...CEM_DEFAULTS }, { horizon: 12, candidates: 1000, topK: 100, iterations: 10 });
  const c = rssmConfig('planet');
  assert.deepEqual(c.planner, { horizon: 12, candidates: 1000, topK: 100, iterations: 10 });
});

test("the planner's plan scores higher under the model than random candidates; planning leaks no tensors", () => {
  const c = withActionDim(rssmConfig('debug'), 1);
  const m = createRssmModel(c, 11);
  const wm = new RssmLatentModel(m.params, c, { kind: 'box', shape: [1], low: [-1], high: [1] });
  const init = initialState(c, 1);
  const state = { deter: init.deter, stoch: init.stoch };
  const opts = { horizon: 10, candidates: 300, topK: 30, iterations: 6 };
  cemPlan(wm, state, opts, 1); // warm-up (kernel setup)
  const before = tf.memory().numTensors;
  let plan = cemPlan(wm, state, opts, 2);
  for (let i = 3; i < 6; i++) plan = cemPlan(wm, state, opts, i);
  assert.equal(tf.memory().numTensors, before, 'numTensors flat across plans');
  assert.equal(plan.action.length, 1);
  assert.ok(plan.action[0] >= -1 && plan.action[0] <= 1, 'action inside the box');
  // 1000 uniform random action sequences, scored by the same model.
  const rand = tf.randomUniform([1000, opts.horizon, 1], -1, 1, 'float32', 77) as tf.Tensor3D;
  const r = sequenceReturns(wm, state, rand);
  const returns = Array.from(r.dataSync()).sort((a, b) => a - b);
  tf.dispose([rand, r]);
  const meanRandom = returns.reduce((a, b) => a + b, 0) / returns.length;
  const p95 = returns[Math.floor(0.95 * returns.length)];
  console.log(
    `model return: plan ${plan.meanReturn.toFixed(4)}, random mean ${meanRandom.toFixed(4)}, random p95 ${p95.toFixed(4)}, random max ${returns.at(-1)!.toFixed(4)}`,
  );
  assert.ok(plan.meanReturn > p95, `plan return ${plan.meanReturn} should beat 95% of random candidates (p95 ${p95})`);
  tf.dispose([
    init.deter,
    init.stoch,
    ...(init.dist.kind === 'gaussian' ? [init.dist.mean, init.dist.std] : [init.dist.logits]),
  ]);
  disposeRssmModel(m);
});

test('a latent agent with the CEM planner (belief update + CEM + noise) drives a real env without leaking tensors', () => {
  const c = withActionDim(rssmConfig('debug', { planner: { horizon: 5, candidates: 50, topK: 5, iterations: 2 } }), 1);
  const m = createRssmModel(c, 2);
  const env = makeEnv('cartpole-swingup', { size: c.image.size, actionRepeat: 8, maxSteps: 6 });
  const planner = new CemPlanner(c.planner);
  const wm = new RssmLatentModel(m.params, c, env.actionSpace);
  const agent = new LatentAgent(wm, planner, { noise: 0.3, seed: 1, frameSize: c.image.size, explore: true });
  rolloutEpisode(env, agent, 1); // warm-up
  agent.reset();
  const before = tf.memory().numTensors;
  const { episode } = rolloutEpisode(env, agent, 2);
  agent.reset();
  assert.equal(tf.memory().numTensors, before, 'numTensors flat over an episode of planning');
  assert.equal(episode.imageShape[0], 7, 'reset frame + 6 steps');
  assert.ok(Number.isFinite(planner.lastPlanReturn));
  agent.dispose();
  disposeRssmModel(m);
});

test("evaluation's plan (seed 0, the fixed seed of act(…, null)) is the same every time", () => {
  const c = withActionDim(rssmConfig('debug'), 2);
  const m = createRssmModel(c, 4);
  const wm = new RssmLatentModel(m.params, c, { kind: 'box', shape: [2], low: [-1, -1], high: [1, 1] });
  const init = initialState(c, 1);
  const state = { deter: init.deter, stoch: init.stoch };
  // One iteration, so the plan is the elite mean of the first draw alone: tfjs took seed 0 for "no seed".
  const opts = { horizon: 4, candidates: 40, topK: 4, iterations: 1 };
  const a = cemPlan(wm, state, opts, 0).mean;
  const b = cemPlan(wm, state, opts, 0).mean;
  assert.deepEqual(Array.from(a), Array.from(b));
  assert.notDeepEqual(Array.from(cemPlan(wm, state, opts, 1).mean), Array.from(a), 'another seed, another plan');
  tf.dispose([
    init.deter,
    init.stoch,
    ...(init.dist.kind === 'gaussian' ? [init.dist.mean, init.dist.std] : [init.dist.logits]),
  ]);
  disposeRssmModel(m);
});
