import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEnvSpec, isGoalEnv, listEnvs, makeEnv } from '../../../core/envs/registry.ts';
import { TRACK_WIDTH } from '../../../core/envs/car-track.ts';
import { isUserError } from '../../../core/util/errors.ts';
import type { CartpoleSwingup } from '../../../core/envs/cartpole.ts';

const NAMES = ['car-racing', 'cartpole-swingup', 'pendulum-swingup', 'shapes-2d', 'pinpad-three'];

test('the registry lists the built-ins with docs, spaces and defaults', () => {
  const specs = listEnvs();
  for (const n of NAMES)
    assert.ok(
      specs.some((s) => s.name === n),
      n,
    );
  for (const s of specs) {
    assert.ok(s.doc.length > 100, `${s.name} has a doc`);
    assert.match(s.doc, /Reward/);
    assert.ok(s.actionSpace);
    assert.ok(s.defaults.size > 0 && s.defaults.actionRepeat >= 1 && s.defaults.maxSteps >= 1);
  }
  const plain = { background: 'plain', backgroundFrames: null };
  assert.deepEqual(getEnvSpec('car-racing').defaults, { size: 64, actionRepeat: 1, maxSteps: 1000, ...plain });
  assert.deepEqual(getEnvSpec('cartpole-swingup').defaults, { size: 64, actionRepeat: 8, maxSteps: 125, ...plain });
  assert.deepEqual(getEnvSpec('shapes-2d').defaults, { size: 50, actionRepeat: 1, maxSteps: 100, ...plain });
  assert.equal(getEnvSpec('pinpad').name, 'pinpad-three');
  assert.equal(getEnvSpec('pinpad-three').defaults.maxSteps, 10000);
});

test('an unknown env name is a UserError listing the valid names', () => {
  assert.throws(
    () => makeEnv('cartpole'),
    (e: unknown) => {
      assert.ok(isUserError(e));
      assert.match((e as Error).message, /unknown environment 'cartpole'/);
      for (const n of NAMES) assert.ok((e as Error).message.includes(n), n);
      return true;
    },
  );
  assert.throws(() => getEnvSpec('nope'), /Expected one of/);
});

test('spaces, frame shape and dtype, vector state', () => {
  const expect: Record<string, { shape: [number, number, 3]; space: string; state: number }> = {
    'car-racing': { shape: [64, 64, 3], space: 'box3', state: 13 },
    'cartpole-swingup': { shape: [64, 64, 3], space: 'box1', state: 5 },
    'pendulum-swingup': { shape: [64, 64, 3], space: 'box1', state: 3 },
    'shapes-2d': { shape: [50, 50, 3], space: 'discrete20', state: 10 },
    'pinpad-three': { shape: [64, 64, 3], space: 'discrete5', state: 3 },
  };
  for (const [name, e] of Object.entries(expect)) {
    const env = makeEnv(name);
    assert.deepEqual(env.observationShape, e.shape, name);
    const sp = env.actionSpace;
    assert.equal(sp.kind === 'box' ? `box${sp.shape[0]}` : `discrete${sp.n}`, e.space, name);
    const obs = env.reset(1);
    assert.ok(obs.image instanceof Uint8Array, name);
    assert.equal(obs.image.length, e.shape[0] * e.shape[1] * 3, name);
    assert.ok(obs.state instanceof Float32Array, name);
    assert.equal(obs.state!.length, e.state, name);
  }
  const small = makeEnv('cartpole-swingup', { size: 32 });
  assert.deepEqual(small.observationShape, [32, 32, 3]);
  assert.equal(small.reset(0).image.length, 32 * 32 * 3);
  const big = makeEnv('shapes-2d', { size: 100 });
  assert.equal(big.reset(0).image.length, 100 * 100 * 3);
  assert.ok(isGoalEnv(makeEnv('pinpad')));
  assert.ok(!isGoalEnv(makeEnv('shapes-2d')));
});

test('bad options are UserErrors', () => {
  assert.throws(() => makeEnv('shapes-2d', { size: 3 }), /size must be an integer/);
  assert.throws(() => makeEnv('shapes-2d', { actionRepeat: 0 }), /actionRepeat/);
  assert.throws(() => makeEnv('shapes-2d', { maxSteps: 1.5 }), /maxSteps/);
});

test('action validation: lengths, non-finite values, indices, one-hot; continuous actions are clipped', () => {
  const cp = makeEnv('cartpole-swingup', { actionRepeat: 1 });
  assert.throws(() => cp.step([0]), /before reset/);
  cp.reset(0);
  assert.throws(
    () => cp.step([0, 0]),
    (e: unknown) => isUserError(e) && /length 1/.test((e as Error).message),
  );
  assert.throws(() => cp.step([NaN]), /finite/);
  const car = makeEnv('car-racing');
  car.reset(0);
  assert.throws(() => car.step(0.5), /length 3/);
  assert.throws(() => car.step([0, 1]), /length 3/);
  const sh = makeEnv('shapes-2d');
  sh.reset(0);
  assert.throws(() => sh.step(20), /integer in \[0, 20\)/);
  assert.throws(() => sh.step(-1), /integer in \[0, 20\)/);
  assert.throws(() => sh.step(1.5), /integer/);
  assert.throws(() => sh.step([1, 0, 0]), /one-hot vector of length 20/);
  const twoHot = new Float32Array(20);
  twoHot[1] = 1;
  twoHot[2] = 1;
  assert.throws(() => sh.step(twoHot), /exactly one 1/);
  const soft = new Float32Array(20);
  soft[3] = 0.5;
  assert.throws(() => sh.step(soft), /exactly one 1/);

  // One-hot ≡ index.
  const a = makeEnv('shapes-2d'),
    b = makeEnv('shapes-2d');
  a.reset(5);
  b.reset(5);
  for (let t = 0; t < 30; t++) {
    const idx = (t * 7) % 20;
    const oh = new Float32Array(20);
    oh[idx] = 1;
    assert.deepEqual(a.step(idx).obs.image, b.step(oh).obs.image);
  }

  // Clipping: an out-of-box force acts like the bound.
  const c1 = makeEnv('cartpole-swingup', { actionRepeat: 1 }),
    c2 = makeEnv('cartpole-swingup', { actionRepeat: 1 });
  c1.reset(3);
  c2.reset(3);
  const r1 = c1.step([5]),
    r2 = c2.step([1]);
  assert.deepEqual(r1.obs.state, r2.obs.state);
  assert.equal(r1.reward, r2.reward);
});

test('time limit → truncated at maxSteps, then step() refuses until reset', () => {
  const env = makeEnv('cartpole-swingup'); // repeat 8 → 125 steps = 1000 simulator steps
  env.reset(0);
  for (let t = 1; t <= 125; t++) {
    const r = env.step([0]);
    assert.equal(r.terminated, false);
    assert.equal(r.truncated, t === 125, `step ${t}`);
    assert.equal(r.info.steps, t);
  }
  assert.throws(() => env.step([0]), /episode ended/);
  env.reset(1);
  assert.equal(env.step([0]).truncated, false);
  const short = makeEnv('shapes-2d', { maxSteps: 3 });
  short.reset(0);
  assert.deepEqual(
    [0, 1, 2].map(() => short.step(0).truncated),
    [false, false, true],
  );
});

test('action repeat runs the simulator k times per step and sums the rewards', () => {
  const rep = makeEnv('cartpole-swingup', { actionRepeat: 4 });
  const one = makeEnv('cartpole-swingup', { actionRepeat: 1 });
  rep.reset(9);
  one.reset(9);
  let sum = 0;
  let last = one.step([0.3]);
  sum += last.reward;
  for (let k = 1; k < 4; k++) {
    last = one.step([0.3]);
    sum += last.reward;
  }
  const r = rep.step([0.3]);
  assert.ok(Math.abs(r.reward - sum) < 1e-12);
  assert.deepEqual(r.obs.state, last.obs.state);
  assert.deepEqual(r.obs.image, last.obs.image);
  assert.equal((rep.unwrapped as CartpoleSwingup).getState().x, (one.unwrapped as CartpoleSwingup).getState().x);
});

test('every env names each entry of its vector state, as many names as the state it emits', () => {
  for (const s of listEnvs()) {
    const env = makeEnv(s.name, { size: 16, maxSteps: 2 });
    const state = env.reset(0).state;
    assert.ok(state, `${s.name} emits a state`);
    assert.equal(s.stateNames?.length, state.length, `${s.name}: one name per state entry`);
    assert.equal(new Set(s.stateNames).size, state.length, `${s.name}: names are distinct`);
  }
  assert.deepEqual(getEnvSpec('cartpole-swingup').stateNames?.slice(0, 3), [
    'cart position',
    'cos pole angle',
    'sin pole angle',
  ]);
});

test("car-racing's hull angle and heading to the track are angles (the probe reads cos and sin); every stateAngles entry is a state name", () => {
  assert.deepEqual(getEnvSpec('car-racing').stateAngles, ['angle', 'heading to track']);
  for (const s of listEnvs())
    for (const a of s.stateAngles ?? []) assert.ok(s.stateNames?.includes(a), `${s.name}: ${a}`);
});

test("car-racing's pose is scored from the start (where the random track starts is in no frame); every stateFromStart entry is a state name", () => {
  assert.deepEqual(getEnvSpec('car-racing').stateFromStart, ['x', 'y', 'angle']);
  assert.deepEqual(getEnvSpec('cartpole-swingup').stateFromStart, []);
  for (const s of listEnvs())
    for (const a of s.stateFromStart ?? []) assert.ok(s.stateNames?.includes(a), `${s.name}: ${a}`);
});

test("car-racing's probe region is the road (|track offset| ≤ the road's half width); every stateRegion names a state variable", () => {
  const obs = makeEnv('car-racing', { size: 32 }).reset(3);
  // At the start the car sits on the centre line: inside the region, and the region is the road's width.
  const offset = obs.state![getEnvSpec('car-racing').stateNames!.indexOf('track offset')];
  assert.ok(Math.abs(offset) < 0.5, `offset at the start: ${offset}`);
  assert.deepEqual(getEnvSpec('car-racing').stateRegion, {
    name: 'on road',
    variable: 'track offset',
    maxAbs: TRACK_WIDTH,
  });
  assert.equal(getEnvSpec('cartpole-swingup').stateRegion, undefined);
  for (const s of listEnvs())
    if (s.stateRegion)
      assert.ok(s.stateNames?.includes(s.stateRegion.variable), `${s.name}: ${s.stateRegion.variable}`);
});
