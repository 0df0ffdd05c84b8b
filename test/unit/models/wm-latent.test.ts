import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { makeEnv } from '../../../core/envs/registry.ts';
import { Rng } from '../../../core/util/rng.ts';
import { resolveWorldModelsConfig } from '../../../core/models/world-models/config.ts';
import { initVae } from '../../../core/models/world-models/vae.ts';
import { initMdnRnn } from '../../../core/models/world-models/mdn-rnn.ts';
import { exportMdnWeights } from '../../../core/models/world-models/controller.ts';
import { actionDimOf, actionSpecOf, controllerAction, controllerSize } from '../../../core/models/controller-policy.ts';
import { MdnCell, type MdnWeights } from '../../../core/models/world-models/dream-kernel.ts';
import { encode, framesToTensor } from '../../../core/models/world-models/vae.ts';
import { resizeFrames } from '../../../core/media/frames.ts';
import type { Params } from '../../../core/models/nn.ts';
import type { VaeConfig } from '../../../core/models/world-models/config.ts';
import { WorldModelsLatentModel } from '../../../core/models/world-models/latent-model.ts';
import { LatentAgent } from '../../../core/agents/latent-agent.ts';
import { LinearController } from '../../../core/agents/linear-controller.ts';
import { CemPlanner } from '../../../core/agents/cem.ts';
import { rolloutEpisode } from '../../../core/agents/rollout.ts';
import { disposeParams } from '../../../core/models/nn.ts';
import { randomPolicy } from '../../../core/agents/random-agents.ts';
import type { PhaseSpec, TrainSession } from '../../../core/models/family.ts';
import { TrainedBehaviorSession } from '../../../core/runs/trained-behavior.ts';
import { scoreInEnv } from '../../../core/runs/agent-session.ts';

before(async () => {
  await initBackend('cpu');
});

/**
 * Reference: WMx's own real-env rollout (carracing/model.py simulate), written out here as it was in the family
 * before the runner took over: z = μ of the VAE on the real frame, a = C(z, h), then h ← MDN-RNN cell(z, a).
 */
function wmxRolloutReturns(
  vae: Params,
  vaeCfg: VaeConfig,
  w: MdnWeights,
  theta: number[],
  seed: number,
  n: number,
  maxSteps?: number,
) {
  const env = makeEnv('cartpole-swingup', { size: vaeCfg.imageSize, ...(maxSteps ? { maxSteps } : {}) });
  const spec = actionSpecOf(env.actionSpace, 'cartpole-swingup');
  const S = vaeCfg.imageSize;
  const returns: number[] = [];
  for (let e = 0; e < n; e++) {
    let obs = env.reset(seed + e);
    const cell = new MdnCell(w);
    const a = new Float32Array(actionDimOf(spec));
    let total = 0;
    for (;;) {
      const frame = resizeFrames(obs.image, 1, env.observationShape[0], S);
      const z = tf.tidy(() => encode(vae, vaeCfg, framesToTensor(frame, 1, S)).mu.dataSync() as Float32Array);
      controllerAction(theta, z, cell.h, spec, a);
      cell.step(z, a);
      const r = env.step(a);
      total += r.reward;
      obs = r.obs;
      if (r.terminated || r.truncated) break;
    }
    returns.push(total);
  }
  return returns;
}

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
  const ref = wmxRolloutReturns(vae, c.vae, weights, theta, 11, 2, 15);
  const ours = [0, 1].map((e) => {
    const agent = new LatentAgent(wm, new LinearController(theta, actionSpecOf(env.actionSpace, 'cartpole-swingup')), {
      noise: 0,
      seed: e,
      frameSize: c.vae.imageSize,
      explore: false,
    });
    const r = rolloutEpisode(env, agent, 11 + e).ret;
    agent.dispose();
    return r;
  });
  ours.forEach((r, i) => assert.ok(Math.abs(r - ref[i]) < 1e-3, `episode ${i}: ${r} vs ${ref[i]}`));
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

/** A family session that trained a cartpole controller θ and steps no env itself; its phase ends with `out`. */
function trainedControllerSession(
  wm: WorldModelsLatentModel,
  theta: number[],
  evalEpisodes: number,
  out: Record<string, number>,
): TrainSession {
  const phases: PhaseSpec[] = [{ name: 'controller', steps: 1, unit: 'generation', headline: 'x' }];
  return {
    phases,
    beginPhase: async () => {},
    step: async () => ({ applied: true, metrics: {}, items: 0 }),
    endPhase: async () => ({ ...out }),
    checkpoint: () => ({ tensors: {}, state: {} }),
    restore: () => {},
    latent: () => wm,
    trainedBehavior: () => ({
      kind: 'controller',
      theta,
      actions: actionSpecOf(wm.actionSpace, 'cartpole-swingup'),
      phase: 'controller',
      evalEpisodes,
    }),
    dispose: () => {},
  };
}

test('the runner scores a family-trained controller in the env: as the WMx rollout does, against random actions on the same seeds', async () => {
  const { c, vae, rnn } = tinyWorldModel();
  const env = makeEnv('cartpole-swingup', { size: c.vae.imageSize });
  const wm = new WorldModelsLatentModel(vae, c.vae, rnn, c.rnn, env.actionSpace);
  const rng = new Rng(8);
  const theta = Array.from({ length: controllerSize(c.vae.zDim, c.rnn.hidden, 1) }, () => rng.normal() * 0.5);
  const inner = trainedControllerSession(wm, theta, 2, { sigma: 0.5 });
  const logs: string[] = [];
  const session = new TrainedBehaviorSession(inner, { env: 'cartpole-swingup', seed: 4, log: (m) => logs.push(m) });
  const n0 = tf.memory().numTensors;
  const out = await session.endPhase('controller', new AbortController().signal);
  assert.equal(tf.memory().numTensors, n0);
  const seed = 1_000_000 + 4;
  const ref = wmxRolloutReturns(vae, c.vae, exportMdnWeights(rnn, c.rnn, c.vae.zDim, 1), theta, seed, 2);
  const randomRef = [0, 1].map(
    (e) => rolloutEpisode(env, randomPolicy(env.actionSpace, new Rng(seed + e)), seed + e).ret,
  );
  assert.equal(out.sigma, 0.5);
  assert.equal(out.eval_episodes, 2);
  assert.ok(Math.abs(out.real_return - (ref[0] + ref[1]) / 2) < 1e-3, `${out.real_return} vs ${ref}`);
  assert.ok(Math.abs(out.random_return - (randomRef[0] + randomRef[1]) / 2) < 1e-9);
  assert.match(logs.join('\n'), /controller in cartpole-swingup/);
  // Another phase's end, or no env to score in: nothing is scored.
  assert.deepEqual(await session.endPhase('rnn', new AbortController().signal), { sigma: 0.5 });
  const offline = new TrainedBehaviorSession(inner, { env: null, seed: 4, log: (m) => logs.push(m) });
  assert.deepEqual(await offline.endPhase('controller', new AbortController().signal), { sigma: 0.5 });
  assert.match(logs.at(-1)!, /no built-in env/);
  disposeParams(vae);
  disposeParams(rnn);
});

test('the runner scores a controller as its data was collected (TrainData.actionRepeat, .background), not the env’s own', async () => {
  const { c, vae, rnn } = tinyWorldModel();
  const wm = new WorldModelsLatentModel(vae, c.vae, rnn, c.rnn, makeEnv('cartpole-swingup').actionSpace);
  const rng = new Rng(9);
  const theta = Array.from({ length: controllerSize(c.vae.zDim, c.rnn.hidden, 1) }, () => rng.normal() * 0.5);
  const inner = trainedControllerSession(wm, theta, 1, {});
  const seed = 1_000_000 + 4;
  // The random side of the score: one episode on env seed `seed`, in the env at the given repeat (cartpole's own is 8).
  const randomAt = (actionRepeat: number) => {
    const env = makeEnv('cartpole-swingup', { size: c.vae.imageSize, actionRepeat });
    return rolloutEpisode(env, randomPolicy(env.actionSpace, new Rng(seed)), seed).ret;
  };
  const at2 = await new TrainedBehaviorSession(inner, {
    env: 'cartpole-swingup',
    data: { actionRepeat: 2 },
    seed: 4,
    log: () => {},
  }).endPhase('controller', new AbortController().signal);
  const own = await new TrainedBehaviorSession(inner, { env: 'cartpole-swingup', seed: 4, log: () => {} }).endPhase(
    'controller',
    new AbortController().signal,
  );
  assert.notEqual(randomAt(2), randomAt(8));
  assert.equal(at2.random_return, randomAt(2));
  assert.equal(own.random_return, randomAt(8));
  // Over the background the data was drawn on (TrainData.background): the controller sees other frames, so it acts
  // and scores otherwise, against the same random return.
  const noise = await new TrainedBehaviorSession(inner, {
    env: 'cartpole-swingup',
    data: { background: { background: 'noise', source: null } },
    seed: 4,
    log: () => {},
  }).endPhase('controller', new AbortController().signal);
  assert.notEqual(noise.real_return, own.real_return);
  assert.equal(noise.random_return, own.random_return);
  disposeParams(vae);
  disposeParams(rnn);
});

test('scoreInEnv also sums the agent’s rewards over its first k steps (the dream-length side of the dream-vs-real gap)', () => {
  const { c, vae, rnn } = tinyWorldModel();
  const env = makeEnv('cartpole-swingup', { size: c.vae.imageSize });
  const wm = new WorldModelsLatentModel(vae, c.vae, rnn, c.rnn, env.actionSpace);
  const rng = new Rng(6);
  const theta = Array.from({ length: controllerSize(c.vae.zDim, c.rnn.hidden, 1) }, () => rng.normal() * 0.5);
  const behavior = new LinearController(theta, actionSpecOf(env.actionSpace, 'cartpole-swingup'));
  const s = scoreInEnv('cartpole-swingup', { size: c.vae.imageSize, maxSteps: 12 }, wm, behavior, 2, 21, 5);
  const weights = exportMdnWeights(rnn, c.rnn, c.vae.zDim, 1);
  // The WMx rollout cut at 5 steps is the return over the first 5 steps; cut at 12, the whole episode.
  const first5 = wmxRolloutReturns(vae, c.vae, weights, theta, 21, 2, 5);
  const whole = wmxRolloutReturns(vae, c.vae, weights, theta, 21, 2, 12);
  s.agentPrefixReturns.forEach((r, i) =>
    assert.ok(Math.abs(r - first5[i]) < 1e-3, `episode ${i}: ${r} vs ${first5[i]}`),
  );
  s.agentReturns.forEach((r, i) => assert.ok(Math.abs(r - whole[i]) < 1e-3, `episode ${i}: ${r} vs ${whole[i]}`));
  // The random policy's prefix: the same random episodes cut at 5 steps.
  const short = makeEnv('cartpole-swingup', { size: c.vae.imageSize, maxSteps: 5 });
  s.randomPrefixReturns.forEach((r, i) => {
    const ref = rolloutEpisode(short, randomPolicy(short.actionSpace, new Rng(21 + i)), 21 + i).ret;
    assert.ok(Math.abs(r - ref) < 1e-5, `random episode ${i}: ${r} vs ${ref}`);
  });
  assert.ok(
    s.randomPrefixReturns.some((r, i) => Math.abs(r - s.randomReturns[i]) > 1e-3),
    'the random prefix differs from its whole episode',
  );
  assert.ok(
    first5.some((r, i) => Math.abs(r - whole[i]) > 1e-3),
    'the prefix differs from the whole episode',
  );
  disposeParams(vae);
  disposeParams(rnn);
});
