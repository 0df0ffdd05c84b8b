import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schemas } from '../../../core/contract/index.ts';
import { collectPolicies, collectRequest, collectTarget } from '../../../renderer/src/lib/collect-policy.ts';

const ck = { step: 8, path: 'p', createdAt: null, bytes: 1, latest: true };
const runs = [
  { id: 'wm', env: 'cartpole-swingup', behavior: null, lastCheckpoint: ck },
  { id: 'dreamer', env: 'cartpole-swingup', behavior: 'actor-critic', lastCheckpoint: ck },
  { id: 'fresh', env: 'cartpole-swingup', behavior: 'cem', lastCheckpoint: null },
  { id: 'pend', env: 'pendulum-swingup', behavior: 'cem', lastCheckpoint: ck },
];

test("the collect form offers the random policies, then the agents of the env's runs that have a checkpoint", () => {
  const got = collectPolicies('cartpole-swingup', runs);
  assert.deepEqual(
    got.map((p) => p.value),
    ['random', 'brownian', 'run:wm', 'run:dreamer'],
  );
  assert.match(got[3].label, /agent of dreamer \(actor-critic\)/);
  assert.deepEqual(
    collectPolicies('pendulum-swingup', runs).map((p) => p.value),
    ['random', 'brownian', 'run:pend'],
  );
});

test("the form's request is one datasets:collect accepts: an agent with its noise, or a random policy without one", () => {
  const form = {
    env: 'cartpole-swingup',
    dataset: 'd',
    episodes: 3,
    seed: 2,
    maxSteps: null,
    noise: 0.3,
    append: false,
  };
  const agent = collectRequest({ ...form, policy: 'run:wm' });
  assert.deepEqual(agent, {
    env: 'cartpole-swingup',
    dataset: 'd',
    episodes: 3,
    seed: 2,
    agent: { run: 'wm', noise: 0.3 },
  });
  const brownian = collectRequest({ ...form, policy: 'brownian', maxSteps: 40 });
  assert.deepEqual(brownian, {
    env: 'cartpole-swingup',
    dataset: 'd',
    episodes: 3,
    seed: 2,
    maxSteps: 40,
    policy: 'brownian',
  });
  const more = collectRequest({ ...form, policy: 'run:wm', append: true });
  assert.equal(more.append, true);
  for (const req of [agent, brownian, more])
    assert.ok(schemas.CollectRequest.safeParse(req).success, JSON.stringify(req));
});

test("a name the env's dataset has adds episodes to it; another env's is refused; a new name makes a dataset", () => {
  const datasets = [
    { name: 'cart', env: 'cartpole-swingup', episodes: 12 },
    { name: 'cars', env: 'car-racing', episodes: 5 },
    { name: 'imported', env: null, episodes: 3 },
  ];
  assert.deepEqual(collectTarget('cart', 'cartpole-swingup', datasets), { kind: 'append', episodes: 12 });
  assert.deepEqual(collectTarget('cart-2', 'cartpole-swingup', datasets), { kind: 'new' });
  const cars = collectTarget('cars', 'cartpole-swingup', datasets);
  assert.equal(cars.kind, 'refused');
  assert.match((cars as { why: string }).why, /^'cars' holds car-racing episodes; choose another name$/);
  assert.match((collectTarget('imported', 'cartpole-swingup', datasets) as { why: string }).why, /holds imported/);
});
