import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { ActorCritic } from '../../../core/agents/actor-critic.ts';
import {
  ACTOR_CRITIC_DEBUG,
  RETURN_NORM_DREAMERV3,
  type ActorCriticConfig,
} from '../../../core/models/actor-critic-config.ts';
import { actorForward } from '../../../core/agents/actor.ts';
import { modeAction } from '../../../core/agents/action-dist.ts';
import { cemPlan } from '../../../core/agents/cem.ts';
import { Rng } from '../../../core/util/rng.ts';
import { PointWorld, TARGET, meanReward, randomStarts, trainBehavior } from './point-world.ts';

before(async () => {
  await initBackend('cpu');
});

const H = 10;
function config(
  over: Partial<ActorCriticConfig> = {},
  actor: Partial<ActorCriticConfig['actor']> = {},
): ActorCriticConfig {
  return {
    ...ACTOR_CRITIC_DEBUG,
    horizon: H,
    gamma: 0.9,
    ...over,
    actor: { ...ACTOR_CRITIC_DEBUG.actor, lr: 3e-3, ...actor },
    critic: { ...ACTOR_CRITIC_DEBUG.critic, lr: 3e-3, slowEvery: 10, ...(over.critic ?? {}) },
  };
}

function snapshot(p: Record<string, tf.Variable>): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(p)) out[k] = Float32Array.from(v.dataSync() as Float32Array);
  return out;
}

function sameValues(
  a: Record<string, Float32Array>,
  b: Record<string, Float32Array>,
  rename = (k: string) => k,
): boolean {
  return Object.keys(a).every((k) => {
    const x = a[k];
    const y = b[rename(k)];
    return y && x.length === y.length && x.every((v, i) => Math.abs(v - y[i]) < 1e-7);
  });
}

function evalReturns(wm: PointWorld, ac: ActorCritic | null): number {
  const starts = randomStarts(256, 4242);
  const rng = new Rng(9);
  const policy = ac
    ? (f: tf.Tensor2D) => modeAction(actorForward(ac.actor, ac.config, ac.distKind, f))
    : wm.discrete
      ? (f: tf.Tensor2D) =>
          tf.cast(
            tf.oneHot(
              tf.tensor1d(
                Array.from({ length: f.shape[0] }, () => rng.int(4)),
                'int32',
              ),
              4,
            ),
            'float32',
          ) as tf.Tensor2D
      : (f: tf.Tensor2D) => tf.randomUniform([f.shape[0], 2], -1, 1, 'float32', rng.int(2 ** 31)) as tf.Tensor2D;
  const r = meanReward(wm, starts, policy, H);
  wm.disposeState(starts);
  return r;
}

test('actor-critic (dynamics backprop, tanh-normal and truncated normal) learns to reach the target in a hand-made world', () => {
  const wm = new PointWorld(false);
  const random = evalReturns(wm, null);
  for (const dist of ['tanh_normal', 'trunc_normal'] as const) {
    const ac = new ActorCritic(config({}, { dist, initStd: 1 }), wm, 3);
    const before = evalReturns(wm, ac);
    const t0 = performance.now();
    trainBehavior(ac, wm, 80, 1);
    const after = evalReturns(wm, ac);
    console.log(
      `${dist}: mean reward per step random ${random.toFixed(3)}, untrained ${before.toFixed(3)}, trained ${after.toFixed(3)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
    assert.ok(
      after > 2 * random && after > random + 0.3,
      `${dist}: trained ${after} should be well above random ${random}`,
    );
    ac.dispose();
  }
});

test('actor-critic with one-hot actions (REINFORCE) learns to reach the target', () => {
  const wm = new PointWorld(true);
  const random = evalReturns(wm, null);
  const ac = new ActorCritic(config({}, { entropy: 3e-3 }), wm, 5);
  assert.equal(ac.grad, 'reinforce');
  trainBehavior(ac, wm, 150, 2);
  const after = evalReturns(wm, ac);
  console.log(`onehot/reinforce: random ${random.toFixed(3)}, trained ${after.toFixed(3)}`);
  assert.ok(after > 2 * random && after > random + 0.3, `trained ${after} should be well above random ${random}`);
  ac.dispose();
});

test('CEM on the same hand-made model plans better than random actions', () => {
  const wm = new PointWorld(false);
  const state = { pos: tf.tensor2d([[-0.8, 0.7]]) };
  const plan = cemPlan(wm, state, { horizon: 6, candidates: 200, topK: 20, iterations: 5 }, 3);
  // The first action points towards the target.
  const dir = [TARGET[0] + 0.8, TARGET[1] - 0.7];
  assert.ok(plan.action[0] * dir[0] + plan.action[1] * dir[1] > 0, `first action ${plan.action} heads to the target`);
  const rand = tf.tidy(() => {
    const r = wm.imagine(
      { pos: tf.tile(state.pos, [200, 1]) },
      () => tf.randomUniform([200, 2], -1, 1, 'float32', 5) as tf.Tensor2D,
      6,
    );
    return tf
      .mean(
        tf.sum(
          tf.reshape(
            wm.reward(tf.reshape(tf.slice(r.features, [1, 0, 0], [6, 200, 2]), [-1, 2]) as tf.Tensor2D),
            [6, 200],
          ),
          0,
        ),
      )
      .dataSync()[0];
  });
  assert.ok(plan.meanReturn > rand + 0.5, `CEM plan return ${plan.meanReturn} vs random ${rand}`);
  wm.disposeState(state);
});

test('the slow critic follows the critic on its schedule (every N updates; fraction mixes)', () => {
  const wm = new PointWorld(false);
  for (const fraction of [1, 0.5]) {
    const ac = new ActorCritic(
      config({ critic: { ...ACTOR_CRITIC_DEBUG.critic, slowEvery: 3, slowFraction: fraction } }),
      wm,
      7,
    );
    const toSlow = (k: string) => `slow/${k.slice('critic/'.length)}`;
    for (let i = 0; i < 8; i++) {
      const c = snapshot(ac.critic);
      const s = snapshot(ac.slow);
      trainBehavior(ac, wm, 1, 100 + i);
      const now = snapshot(ac.slow);
      if (i % 3 !== 0) {
        assert.ok(sameValues(s, now), `update ${i}: the slow critic must not move`);
        continue;
      }
      const mix = i === 0 ? 1 : fraction;
      const expected: Record<string, Float32Array> = {};
      for (const [k, v] of Object.entries(c))
        expected[toSlow(k)] = v.map((x, j) => mix * x + (1 - mix) * s[toSlow(k)][j]);
      for (const k of Object.keys(expected)) {
        const e = expected[k];
        assert.ok(
          e.every((v, j) => Math.abs(v - now[k][j]) < 1e-5),
          `update ${i} (fraction ${fraction}): ${k} = mix·critic + (1−mix)·slow`,
        );
      }
      assert.ok(!sameValues(s, now) || i === 0, `update ${i}: the slow critic moved`);
    }
    ac.dispose();
  }
});

test('tensor count stays flat over 100 behaviour updates (and 50 with the return normalisation)', () => {
  const wm = new PointWorld(false);
  for (const [returnNorm, n] of [[null, 100] as const, [RETURN_NORM_DREAMERV3, 50] as const]) {
    const ac = new ActorCritic(config({}, { returnNorm }), wm, 1);
    trainBehavior(ac, wm, 3, 1);
    const n0 = tf.memory().numTensors;
    trainBehavior(ac, wm, n, 2);
    assert.equal(tf.memory().numTensors, n0, `numTensors flat (${returnNorm ? 'normalised' : 'raw'} returns)`);
    ac.dispose();
  }
});

test('restoring a checkpoint (weights, both optimisers, slow critic, update count, return EMA) reproduces the next losses exactly', () => {
  const wm = new PointWorld(false);
  // Raw returns, and DreamerV3's return normalisation (its EMA state rides in the checkpoint's state).
  for (const returnNorm of [null, { ...RETURN_NORM_DREAMERV3, minScale: 1e-3 }]) {
    const cfg = config({ critic: { ...ACTOR_CRITIC_DEBUG.critic, slowEvery: 4, slowFraction: 1 } }, { returnNorm });
    const a = new ActorCritic(cfg, wm, 1);
    trainBehavior(a, wm, 6, 1);
    // "Kill": copy the checkpoint's tensors out (as the runner writes them), build a fresh behaviour, restore.
    const ck = a.checkpoint();
    const saved = {
      tensors: Object.fromEntries(Object.entries(ck.tensors).map(([k, t]) => [k, tf.clone(t)])),
      state: JSON.parse(JSON.stringify(ck.state)),
    };
    if (returnNorm) assert.ok(Number(saved.state.returnHigh) > Number(saved.state.returnLow), 'EMA in the checkpoint');
    const b = new ActorCritic(cfg, wm, 99);
    b.restore(saved);
    tf.dispose(Object.values(saved.tensors));
    const la = trainBehavior(a, wm, 4, 77);
    const lb = trainBehavior(b, wm, 4, 77);
    assert.deepEqual(lb, la, 'the next four updates report identical losses');
    const c = new ActorCritic(cfg, wm, 99); // no restore: differs
    assert.notDeepEqual(trainBehavior(c, wm, 1, 77)[0], la[0]);
    for (const x of [a, b, c]) x.dispose();
  }
});

test("the actor_mode_* metrics are the mode's |a|, its share within 0.05 of the bound and its mean, over the imagined steps", () => {
  const wm = new PointWorld(false);
  for (const dist of ['tanh_normal', 'trunc_normal'] as const) {
    const ac = new ActorCritic(config({}, { dist, initStd: 1 }), wm, 3);
    // A feature-blind actor (output weights 0) has one distribution in every state, so the metrics over all
    // imagined steps equal that distribution's mode; one action dimension pushed to the bound, one inside it.
    const w = ac.actor['actor/out/w'];
    const b = ac.actor['actor/out/b'];
    w.assign(tf.zerosLike(w));
    const raw = new Float32Array(b.shape[0]);
    raw[0] = -6;
    raw[1] = 0.4;
    raw[2] = raw[3] = -8; // a narrow distribution: a wide tanh-normal's mode sits near a bound whatever its mean
    b.assign(tf.tensor1d(raw));
    const expected = tf.tidy(() =>
      Array.from(
        modeAction(
          actorForward(ac.actor, ac.config, ac.distKind, tf.zeros([1, wm.featureSize]) as tf.Tensor2D),
        ).dataSync(),
      ),
    );
    assert.ok(Math.abs(expected[0]) > 0.95 && Math.abs(expected[1]) < 0.95, `${dist}: mode ${expected}`);
    const [m] = trainBehavior(ac, wm, 1, 4);
    const abs = (Math.abs(expected[0]) + Math.abs(expected[1])) / 2;
    assert.ok(Math.abs(m.actor_mode_abs - abs) < 1e-5, `${dist}: actor_mode_abs ${m.actor_mode_abs} vs ${abs}`);
    assert.equal(m.actor_mode_sat, 0.5, `${dist}: actor_mode_sat`);
    const mean = (expected[0] + expected[1]) / 2;
    assert.ok(Math.abs(m.actor_mode_mean - mean) < 1e-5, `${dist}: actor_mode_mean ${m.actor_mode_mean} vs ${mean}`);
    ac.dispose();
  }
});
