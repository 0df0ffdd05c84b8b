import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { initBackend } from '../../../core/tensor/backend.ts';
import { ReturnNorm, percentile } from '../../../core/agents/return-norm.ts';
import { ActorCritic } from '../../../core/agents/actor-critic.ts';
import {
  ACTOR_CRITIC_DEBUG,
  RETURN_NORM_DREAMERV3,
  type ActorCriticConfig,
} from '../../../core/models/actor-critic-config.ts';
import { rssmConfig } from '../../../core/models/rssm/config.ts';
import { isUserError } from '../../../core/util/errors.ts';
import { PointWorld, trainBehavior } from './point-world.ts';

// DreamerV3's Moments 'perc' EMA and np.percentile, transcribed to numpy by test/fixtures/agents/make_fixtures.py.
const F = JSON.parse(readFileSync(new URL('../../fixtures/agents/return_norm.json', import.meta.url), 'utf8'));

before(async () => {
  await initBackend('cpu');
});

const near = (a: number, b: number, what: string, tol = 1e-9) =>
  assert.ok(Math.abs(a - b) <= tol * (1 + Math.abs(b)), `${what}: ${a} vs ${b}`);

test("percentile equals numpy's linear-interpolation percentile (numpy fixture)", () => {
  const c = F.percentile_cases;
  c.q.forEach((q: number, i: number) => near(percentile(c.values, q), c.expected[i], `P${q}`));
  assert.throws(() => percentile([], 50), /no values/);
  assert.throws(() => percentile([1], 101), /q must be in \[0, 100\]/);
});

test("the return scale follows DreamerV3's percentile EMA, max(1, high − low), update by update (numpy fixture)", () => {
  const n = new ReturnNorm({ decay: F.decay, low: F.low, high: F.high, minScale: F.minScale });
  assert.deepEqual(n.state(), { low: 0, high: 0 }, 'both percentiles start at 0 (no debiasing)');
  let clamped = 0;
  F.batches.forEach((b: number[], k: number) => {
    const s = n.update(Float32Array.from(b));
    near(n.low, F.lows[k], `low after update ${k}`, 1e-6);
    near(n.high, F.highs[k], `high after update ${k}`, 1e-6);
    near(s, F.scales[k], `scale after update ${k}`, 1e-6);
    if (F.scales[k] === 1) clamped += 1;
  });
  assert.ok(clamped > 0 && clamped < F.batches.length, 'the fixture covers both the clamp at 1 and larger spreads');
});

function config(
  returnNorm: ActorCriticConfig['actor']['returnNorm'],
  entropy = 0,
  grad: ActorCriticConfig['actor']['grad'] = 'dynamics',
): ActorCriticConfig {
  return {
    ...ACTOR_CRITIC_DEBUG,
    horizon: 10,
    gamma: 0.9,
    actor: { ...ACTOR_CRITIC_DEBUG.actor, lr: 3e-3, grad, entropy, returnNorm },
    critic: { ...ACTOR_CRITIC_DEBUG.critic, lr: 3e-3, slowEvery: 4 },
  };
}

test('with return normalisation the actor objective (dynamics or REINFORCE) is the raw one divided by the scale', () => {
  const wm = new PointWorld(false);
  for (const grad of ['dynamics', 'reinforce'] as const) {
    // minScale far below 1, so the first update's EMA (1 % of the spread) scales the returns up.
    const norm = new ActorCritic(config({ ...RETURN_NORM_DREAMERV3, minScale: 1e-6 }, 0, grad), wm, 3);
    const raw = new ActorCritic(config(null, 0, grad), wm, 3);
    const [a] = trainBehavior(norm, wm, 1, 5);
    const [b] = trainBehavior(raw, wm, 1, 5);
    assert.equal(b.return_scale, 1, 'no normalisation: scale 1');
    assert.ok(a.return_scale > 1e-6 && a.return_scale !== 1, `a real scale (${a.return_scale})`);
    assert.ok(Math.abs(b.actor_loss) > 1e-3, `${grad}: a non-trivial raw loss (${b.actor_loss})`);
    near(a.actor_loss * a.return_scale, b.actor_loss, `${grad}: actor loss × scale = raw actor loss`, 1e-4);
    near(a.critic_loss, b.critic_loss, `${grad}: the critic is untouched`, 1e-6);
    norm.dispose();
    raw.dispose();
  }
});

test("the actor's output layer starts at outScale × its Glorot weights (DreamerV3 outscale), the rest unchanged", () => {
  const wm = new PointWorld(false);
  const base = config(null);
  const a = new ActorCritic(base, wm, 4);
  const b = new ActorCritic({ ...base, actor: { ...base.actor, outScale: 0.01 } }, wm, 4);
  for (const [k, v] of Object.entries(a.actor)) {
    const x = v.dataSync();
    const y = b.actor[k].dataSync();
    const f = k === 'actor/out/w' ? 0.01 : 1;
    assert.ok(
      x.every((xi, i) => Math.abs(xi * f - y[i]) <= 1e-7),
      `${k}: ${f === 1 ? 'unchanged' : 'scaled by 0.01'}`,
    );
  }
  for (const x of [a, b]) x.dispose();
});

test('config: presets carry the normalisation as their sources do (off in v1, V2 and small); a bad one is refused naming the field', () => {
  const small = rssmConfig('small', { behavior: 'actor-critic' }).actorCritic.actor;
  assert.deepEqual([small.returnNorm, small.outScale], [null, 1], 'small: raw returns (V3 measured worse on seed 1)');
  const v3 = rssmConfig('small', {
    actorCritic: { actor: { returnNorm: RETURN_NORM_DREAMERV3, outScale: 0.01 } },
  }).actorCritic.actor;
  assert.deepEqual([v3.returnNorm, v3.outScale], [RETURN_NORM_DREAMERV3, 0.01], 'an override turns them on');
  for (const p of ['dreamerv1', 'dreamerv2'] as const) {
    const a = rssmConfig(p).actorCritic.actor;
    assert.deepEqual([a.returnNorm, a.outScale], [null, 1], `${p}: raw returns, plain init as the paper`);
  }
  assert.throws(
    () =>
      rssmConfig('small', { actorCritic: { actor: { returnNorm: { ...RETURN_NORM_DREAMERV3, low: 95, high: 5 } } } }),
    (e: unknown) => isUserError(e) && /actorCritic\.actor\.returnNorm\.high/.test((e as Error).message),
  );
  assert.throws(() => new ReturnNorm({ ...RETURN_NORM_DREAMERV3, low: 50, high: 50 }), /low percentile/);
});
