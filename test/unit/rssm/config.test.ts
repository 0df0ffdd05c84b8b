import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  RSSM_PRESETS,
  parseRssmConfig,
  rssmConfig,
  withActionDim,
  featureSize,
} from '../../../core/models/rssm/config.ts';
import { isUserError } from '../../../core/util/errors.ts';

test('presets carry the reference defaults (mission-anchors §1.2, §1.4, §1.10)', () => {
  const p = rssmConfig('planet');
  assert.deepEqual(p.rssm.latent, { kind: 'gaussian', size: 30, minStd: 0.1 });
  assert.equal(p.rssm.deter, 200);
  assert.equal(p.loss.freeNats, 3);
  assert.equal(p.loss.freeNatsPlacement, 'element');
  assert.equal(p.loss.klBalance, null);
  assert.equal(p.loss.overshooting.distance, 0, 'off in the camera-ready config');
  assert.equal(p.loss.rewardScale, 10);
  assert.deepEqual(
    [p.train.batch, p.train.length, p.train.lr, p.train.adamEps, p.train.clipNorm],
    [50, 50, 1e-3, 1e-4, 1000],
  );
  const d = rssmConfig('dreamerv2');
  assert.deepEqual(d.rssm.latent, { kind: 'discrete', groups: 32, classes: 32, unimix: 0 });
  assert.equal(d.loss.klBalance, 0.8);
  assert.equal(d.loss.freeNats, 1);
  assert.equal(d.loss.freeNatsPlacement, 'mean');
  assert.equal(featureSize(withActionDim(d, 1)), 200 + 1024);
  assert.deepEqual(Object.keys(RSSM_PRESETS).sort(), [
    'cvrl',
    'cvrl-debug',
    'debug',
    'default',
    'dreamerpro',
    'dreamerpro-debug',
    'dreamerv1',
    'dreamerv2',
    'planet',
    'small',
  ]);
});

test("behaviours per preset: planet plans with CEM; dreamerv1/v2 learn an actor-critic with their papers' settings", () => {
  assert.equal(rssmConfig('planet').behavior, 'cem');
  assert.equal(rssmConfig('debug').behavior, 'cem');
  const v1 = rssmConfig('dreamerv1');
  assert.equal(v1.behavior, 'actor-critic');
  assert.deepEqual([v1.actorCritic.horizon, v1.actorCritic.gamma, v1.actorCritic.lambda], [15, 0.99, 0.95]);
  assert.deepEqual([v1.actorCritic.actor.lr, v1.actorCritic.critic.lr, v1.train.lr], [8e-5, 8e-5, 6e-4]);
  assert.equal(v1.actorCritic.actor.dist, 'tanh_normal');
  assert.equal(v1.actorCritic.actor.entropy, 0);
  assert.equal(v1.heads.cont, false, 'no pcont head: a constant discount');
  const v2 = rssmConfig('dreamerv2');
  assert.equal(v2.behavior, 'actor-critic');
  assert.equal(v2.actorCritic.actor.dist, 'trunc_normal');
  assert.deepEqual([v2.actorCritic.critic.slowEvery, v2.actorCritic.critic.slowFraction], [100, 1]);
  assert.equal(v2.actorCritic.actor.entropy, 1e-4, 'dmc_vision actor_ent');
  assert.equal(rssmConfig('debug', { behavior: 'actor-critic' }).actorCritic.actor.units, 32, 'debug: a tiny one');
  const small = rssmConfig('small', { behavior: 'actor-critic' });
  assert.equal(small.image.size, 64, 'small keeps 64 px: at 32 px the cartpole pole is about a pixel wide');
  assert.deepEqual(
    [
      small.actorCritic.actor.units,
      small.actorCritic.critic.units,
      small.actorCritic.actor.lr,
      small.actorCritic.critic.lr,
    ],
    [64, 64, 8e-5, 3e-4],
    "small: CPU-sized nets, the papers' actor lr (a faster actor saturated before the model knew the reward), a raised critic lr",
  );
  assert.deepEqual(
    [small.actorCritic.actor.dist, small.actorCritic.actor.minStd, small.actorCritic.actor.entropy],
    ['trunc_normal', 0.1, 1e-3],
    'small: a std floor and an entropy bonus against the collapse seen with the v1 actor',
  );
  assert.deepEqual([small.actorCritic.horizon, small.online.actionRepeat, small.online.trainEvery], [15, 8, 25]);
  assert.deepEqual(
    [small.loss.freeNats, small.loss.freeNatsPlacement, small.loss.klBalance, small.loss.rewardScale],
    [1, 'mean', 0.8, 10],
    "small: DreamerV2's KL (free nats 1 on the mean, balance 0.8) so the prior trains in a short run",
  );
  assert.equal(small.actorCritic.starts, 128, 'small: 128 random start states per update');
  assert.deepEqual(
    [small.actorCritic.startAfter, v1.actorCritic.startAfter, v2.actorCritic.startAfter],
    [500, 0, 0],
    'small: the actor-critic follows 500 model updates (eval:dreamer); the papers train both from the first',
  );
  assert.deepEqual(
    [v1.actorCritic.starts, v2.actorCritic.starts, rssmConfig('planet').loss.freeNats],
    [null, null, 3],
    'the papers: every posterior state starts a dream; planet keeps 3 free nats per element',
  );
  assert.equal(rssmConfig('small').behavior, 'cem', 'small still plans with CEM unless asked');
  assert.throws(
    () => rssmConfig('debug', { behavior: 'ppo' as 'cem' }),
    (e: unknown) => isUserError(e) && /behavior/.test((e as Error).message),
  );
  // A stored config from before behaviours existed still loads (CEM, as it was trained).
  const { behavior: _b, actorCritic: _a, ...old } = rssmConfig('planet');
  assert.equal(parseRssmConfig(old).behavior, 'cem');
});

test('overrides deep-merge; overshooting can be switched on with per-distance weights', () => {
  const c = rssmConfig('planet', { loss: { overshooting: { distance: 3, scale: 1, weights: [1, 0.5, 0.25] } } });
  assert.deepEqual(c.loss.overshooting, { distance: 3, scale: 1, weights: [1, 0.5, 0.25], stopPosteriorGrad: true });
  assert.equal(c.loss.freeNats, 3, 'untouched fields keep the preset value');
});

test('bad configs are rejected with the field and the expected value', () => {
  const bad: [() => unknown, RegExp][] = [
    [
      () => rssmConfig('nope'),
      /unknown rssm preset 'nope': expected one of planet, dreamerv1, dreamerv2, small, debug/,
    ],
    [
      () => rssmConfig('planet', { loss: { overshooting: { distance: 3, weights: [1] } } }),
      /loss\.overshooting\.weights: expected 3 weights/,
    ],
    [() => rssmConfig('planet', { image: { size: 32 } }), /decoder\.kernels: .* give 64px, expected 32px/],
    [() => rssmConfig('planet', { planner: { topK: 2000 } }), /planner\.topK: must be <= planner\.candidates/],
    [
      () => parseRssmConfig({ ...rssmConfig('debug'), loss: { ...rssmConfig('debug').loss, klBalance: 2 } }),
      /loss\.klBalance/,
    ],
    [
      () => withActionDim(rssmConfig('debug', { actionDim: 2 }), 3),
      /actionDim is 2 but the data's actions have 3 dimensions/,
    ],
  ];
  for (const [f, re] of bad) {
    assert.throws(f, (e: unknown) => isUserError(e) && re.test((e as Error).message), String(re));
  }
});
