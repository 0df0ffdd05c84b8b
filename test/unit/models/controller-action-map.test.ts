/**
 * The World Models controller's outputs become actions through one mapping (core/models/controller-policy.ts),
 * the reference's where it defines one: CarRacing steer = a₀, gas = (a₁ + 1)/2, brake = clip(a₂, 0, 1) (WMx
 * carracing/model.py `Model.get_action`), affine elsewhere. The family trains in the dream with it and hands the
 * same mapping to the controller behaviour that acts in the real env (also after a reload from a checkpoint).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../../core/tensor/backend.ts';
import { makeEnv } from '../../../core/envs/registry.ts';
import { brownianControllerPolicy, brownianPolicy, randomPolicy } from '../../../core/agents/random-agents.ts';
import { rolloutEpisode } from '../../../core/agents/rollout.ts';
import { LatentAgent } from '../../../core/agents/latent-agent.ts';
import {
  actionSpecOf,
  controllerAction,
  controllerSize,
  mapControllerOutputs,
} from '../../../core/models/controller-policy.ts';
import { getFamily } from '../../../core/models/registry.ts';
import type { TrainData } from '../../../core/models/family.ts';
import { behaviorOf } from '../../../core/runs/trained-behavior.ts';
import { Rng } from '../../../core/util/rng.ts';

before(async () => {
  await initBackend();
});

test('car-racing: steer = a, gas = (a + 1)/2, brake = clip(a, 0, 1) — a zero output drives (gas ½, brake 0)', () => {
  const env = makeEnv('car-racing', { size: 32 });
  const spec = actionSpecOf(env.actionSpace, 'car-racing');
  assert.deepEqual(spec.kind === 'box' && spec.map, ['affine', 'affine', 'clip']);
  const zDim = 3,
    H = 4;
  const zero = new Array(controllerSize(zDim, H, 3)).fill(0);
  assert.deepEqual(Array.from(controllerAction(zero, [1, 1, 1], [1, 1, 1, 1], spec)), [0, 0.5, 0]);
  const rng = new Rng(4);
  let brakeOff = 0;
  for (let trial = 0; trial < 200; trial++) {
    const theta = Array.from({ length: controllerSize(zDim, H, 3) }, () => rng.normal());
    const z = Array.from({ length: zDim }, () => rng.normal());
    const h = Array.from({ length: H }, () => rng.uniform(-1, 1));
    const a = controllerAction(theta, z, h, spec);
    const pre = [0, 1, 2].map((j) => {
      let s = theta[(zDim + H) * 3 + j];
      [...z, ...h].forEach((x, i) => (s += x * theta[i * 3 + j]));
      return Math.tanh(s);
    });
    const want = [pre[0], (pre[1] + 1) / 2, Math.min(1, Math.max(0, pre[2]))];
    want.forEach((w, j) => assert.ok(Math.abs(a[j] - w) < 1e-6, `trial ${trial} a[${j}] = ${a[j]}, expected ${w}`));
    if (a[2] === 0) brakeOff++;
  }
  // Half of the output range releases the brake entirely (an affine brake is never 0 for a finite output).
  assert.ok(brakeOff > 60 && brakeOff < 140, `brake exactly 0 in ${brakeOff} of 200 draws`);
});

test('envs the reference defines no mapping for stay affine; a mapping that does not fit the box is refused', () => {
  const cart = makeEnv('cartpole-swingup', { size: 32 });
  for (const name of ['cartpole-swingup', null, 'constructor', '__proto__']) {
    const spec = actionSpecOf(cart.actionSpace, name);
    assert.deepEqual(spec.kind === 'box' && spec.map, ['affine'], String(name));
  }
  const zero = new Array(controllerSize(1, 1, 1)).fill(0);
  const box = { kind: 'box' as const, shape: [1], low: [0], high: [1] };
  // Affine: the middle of [0, 1] at a zero output.
  assert.deepEqual(Array.from(controllerAction(zero, [0], [0], actionSpecOf(box, 'pendulum'))), [0.5]);
  assert.throws(
    () => actionSpecOf(box, 'car-racing'),
    /car-racing controller maps 3 action dimensions, but this dataset's action box has 1/,
  );
  assert.deepEqual(actionSpecOf({ kind: 'discrete', n: 4 }, 'car-racing'), { kind: 'discrete', n: 4 });
});

test('the family trains with the env mapping and hands that mapping to the controller acting in the real env', async () => {
  const env = makeEnv('car-racing', { size: 32, maxSteps: 12 });
  const eps = Array.from(
    { length: 3 },
    (_, i) => rolloutEpisode(env, randomPolicy(env.actionSpace, new Rng(i)), 70 + i).episode,
  );
  const data: TrainData = {
    dataset: 'mem',
    env: 'car-racing',
    actionSpace: env.actionSpace,
    imageSize: 32,
    train: eps.slice(0, 2),
    heldOut: eps.slice(2),
  };
  const family = await getFamily('world-models');
  const config = family.resolveConfig('debug', {
    vae: { steps: 0 },
    rnn: { steps: 0 },
    controller: { generations: 1, population: 4, rolloutsPerCandidate: 1, dreamLength: 4, workers: 1, evalEpisodes: 1 },
  });
  const ctx = { config, seed: 0, data, runDir: null, log: () => {} };
  const session = await family.createSession(ctx);
  const signal = new AbortController().signal;
  await session.beginPhase('controller', signal);
  await session.step({ phase: 'controller', step: 0, globalStep: 0, rng: new Rng(1), poison: false, signal });
  await session.endPhase('controller', signal);
  const trained = session.trainedBehavior!()!;
  const loaded = await family.loadModel(ctx, session.checkpoint());
  const reloaded = loaded.trainedBehavior!()!;
  session.dispose();
  for (const tb of [trained, reloaded])
    assert.deepEqual(tb.actions, actionSpecOf(env.actionSpace, 'car-racing'), 'the dream mapping travels with θ');

  // A controller whose brake output is tanh(−1) < 0 never brakes in the env; its gas is (tanh(0.5) + 1)/2.
  const wm = loaded.latent!();
  const theta = new Array(reloaded.theta.length).fill(0);
  theta[theta.length - 2] = 0.5;
  theta[theta.length - 1] = -1;
  const behavior = behaviorOf({ ...reloaded, theta });
  const agent = new LatentAgent(wm, behavior, { noise: 0, seed: 0, frameSize: 32, explore: false });
  const ep = rolloutEpisode(env, agent, 5).episode;
  agent.dispose();
  loaded.dispose();
  for (let t = 1; t < ep.imageShape[0]; t++) {
    const a = ep.action.subarray(t * 3, t * 3 + 3);
    assert.equal(a[2], 0, `step ${t}: brake ${a[2]}`);
    assert.ok(Math.abs(a[1] - (Math.tanh(0.5) + 1) / 2) < 1e-6, `step ${t}: gas ${a[1]}`);
    assert.equal(a[0], 0, `step ${t}: steer ${a[0]}`);
  }
});

test('data over the controller’s actions: Brownian motion on its outputs, mapped as the controller maps them', () => {
  const car = makeEnv('car-racing', { size: 32 }).actionSpace;
  const spec = actionSpecOf(car, 'car-racing');
  const ours = brownianControllerPolicy(spec, new Rng(9));
  // Reference: the same Brownian motion on [−1, 1]³, then steer a₀, gas (a₁ + 1)/2, brake clip(a₂, 0, 1) by hand.
  const cube = brownianPolicy({ kind: 'box', shape: [3], low: [-1, -1, -1], high: [1, 1, 1] }, new Rng(9));
  let released = 0;
  for (let t = 0; t < 2000; t++) {
    if (t === 1000) {
      ours.reset();
      cube.reset();
    }
    const a = ours.act() as Float32Array;
    const u = cube.act() as Float32Array;
    const want = [u[0], (u[1] + 1) / 2, Math.min(1, Math.max(0, u[2]))];
    want.forEach((w, j) => assert.ok(Math.abs(a[j] - w) < 1e-6, `t ${t} a[${j}] = ${a[j]}, expected ${w}`));
    if (a[2] === 0) released++;
  }
  // The brake is released for a good share of the steps (Brownian motion in the box almost never sits at 0).
  assert.ok(released > 200, `brake released in ${released} of 2000 steps`);
  // Where the mapping is affine it is Brownian motion in the box itself (up to float rounding).
  const cart = makeEnv('cartpole-swingup', { size: 32 }).actionSpace;
  const a = brownianControllerPolicy(actionSpecOf(cart, 'cartpole-swingup'), new Rng(3));
  const b = brownianPolicy(cart, new Rng(3));
  for (let t = 0; t < 100; t++) assert.ok(Math.abs((a.act() as Float32Array)[0] - (b.act() as Float32Array)[0]) < 1e-6);
  assert.throws(
    () => brownianControllerPolicy({ kind: 'discrete', n: 3 }, new Rng(0)),
    /box\) action space, got discrete\(3\)/,
  );
  assert.throws(() => mapControllerOutputs(new Float32Array(2), spec), /expected 3 controller outputs, got 2/);
});
