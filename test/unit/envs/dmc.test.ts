import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeEnv } from '../../../core/envs/registry.ts';
import { tolerance } from '../../../core/envs/rewards.ts';
import { cartpoleReward, type CartpoleSwingup } from '../../../core/envs/cartpole.ts';
import { pendulumReward, type PendulumSwingup } from '../../../core/envs/pendulum.ts';

// Independent closed forms: with value_at_margin 0.1, the gaussian sigmoid is 0.1^(d²) for d = distance/margin;
// the quadratic sigmoid with value_at_margin 0 is 1 − d² inside |d| < 1.
const gauss = (x: number, margin: number) => 0.1 ** ((x / margin) ** 2);
const quad = (x: number, margin: number) => (Math.abs(x / margin) < 1 ? 1 - (x / margin) ** 2 : 0);
function expectedCartpole(x: number, theta: number, thetaDot: number, u: number): number {
  return (
    ((Math.cos(theta) + 1) / 2) * ((1 + gauss(x, 2)) / 2) * ((4 + quad(u, 1)) / 5) * ((1 + gauss(thetaDot, 5)) / 2)
  );
}
const close = (a: number, b: number, eps = 1e-12) => assert.ok(Math.abs(a - b) <= eps, `${a} vs ${b}`);

test('tolerance() matches dm_control rewards.py', () => {
  assert.equal(tolerance(0.3, { bounds: [0, 1] }), 1);
  assert.equal(tolerance(1.5, { bounds: [0, 1] }), 0); // margin 0 → hard indicator
  close(tolerance(2, { margin: 2 }), 0.1); // value_at_margin at distance == margin
  close(tolerance(-1, { margin: 2 }), gauss(1, 2));
  close(tolerance(3, { bounds: [1, 2], margin: 2 }), gauss(1, 2));
  close(tolerance(0.5, { margin: 1, sigmoid: 'quadratic', valueAtMargin: 0 }), 0.75);
  assert.equal(tolerance(1.2, { margin: 1, sigmoid: 'quadratic', valueAtMargin: 0 }), 0);
  close(tolerance(1, { margin: 1, sigmoid: 'linear', valueAtMargin: 0.5 }), 0.5);
  close(tolerance(1, { margin: 1, sigmoid: 'hyperbolic' }), 0.1);
  close(tolerance(1, { margin: 1, sigmoid: 'long_tail' }), 0.1);
  close(tolerance(1, { margin: 1, sigmoid: 'reciprocal' }), 0.1);
  close(tolerance(1, { margin: 1, sigmoid: 'cosine' }), 0.1);
  close(tolerance(1, { margin: 1, sigmoid: 'tanh_squared' }), 0.1);
  assert.throws(() => tolerance(0, { bounds: [1, 0] }), /lower bound/);
  assert.throws(() => tolerance(0, { margin: 1, valueAtMargin: 0 }), /strictly between/);
});

test('cartpole reward formula at hand-computed states', () => {
  // Upright, centred, at rest, no control: every factor is 1.
  assert.equal(cartpoleReward(0, 1, 0, 0), 1);
  // Hanging down: upright = 0.
  assert.equal(cartpoleReward(0, -1, 0, 0), 0);
  // Upright at rest but full control: small_control = (4 + 0)/5.
  close(cartpoleReward(0, 1, 0, 1), 0.8);
  // Cart at the margin (x = 2): centered = (1 + 0.1)/2.
  close(cartpoleReward(2, 1, 0, 0), 0.55);
  for (const [x, th, thd, u] of [
    [1, Math.PI / 3, 2, 0.5],
    [-0.7, 2.5, -6, -0.2],
    [1.8, 0.1, 0.3, 1],
  ]) {
    close(cartpoleReward(x, Math.cos(th), thd, u), expectedCartpole(x, th, thd, u));
  }
});

test('cartpole env: reward after a step equals the formula at the new state; upright at rest stays put with reward 1', () => {
  const env = makeEnv('cartpole-swingup', { actionRepeat: 1 });
  const sim = env.unwrapped as CartpoleSwingup;
  env.reset(0);
  sim.setState({ x: 0, theta: 0, xDot: 0, thetaDot: 0 });
  const r = env.step([0]);
  assert.equal(r.reward, 1);
  assert.deepEqual(Array.from(r.obs.state!), [0, 1, 0, 0, 0]);
  sim.setState({ x: 0.5, theta: 0.4, xDot: 0.3, thetaDot: -1 });
  const r2 = env.step([0.6]);
  const s = sim.getState();
  close(r2.reward, expectedCartpole(s.x, s.theta, s.thetaDot, 0.6));
  assert.ok(s.x > 0.5 && s.theta < 0.4, 'moved by the dynamics');
});

test('cartpole physics: gear 10 on cart + pole mass 1.1, pole down at rest stays, start hangs down', () => {
  const env = makeEnv('cartpole-swingup', { actionRepeat: 1 });
  const sim = env.unwrapped as CartpoleSwingup;
  const obs = env.reset(7);
  assert.ok(obs.state![1] < -0.99, 'starts hanging down (cos θ ≈ −1)');
  sim.setState({ x: 0, theta: Math.PI, xDot: 0, thetaDot: 0 });
  env.step([0]);
  const s0 = sim.getState();
  assert.ok(Math.abs(s0.x) < 1e-12 && Math.abs(s0.theta - Math.PI) < 1e-12);
  // Full force from rest with the pole hanging straight down: ẍ = F·(I + m l²) / ((M + m)(I + m l²) − m² l²)
  // with F = gear·u = 10, M = 1, m = 0.1, l = 0.5, I ≈ 0.0094 (capsule about its centre) → ≈ 9.73 m/s².
  sim.setState({ x: 0, theta: Math.PI, xDot: 0, thetaDot: 0 });
  env.step([1]);
  const s1 = sim.getState();
  assert.ok(s1.xDot > 0.095 && s1.xDot < 0.099, `ẋ = ${s1.xDot}`);
  // The slider limit holds the cart near ±1.8 under full force.
  env.reset(1);
  for (let t = 0; t < 400; t++) env.step([1]);
  assert.ok(sim.getState().x < 1.95 && sim.getState().x > 1.5, `x = ${sim.getState().x}`);
});

test('pendulum: reward 1 within 8° of upright, 0 outside; small oscillations have the period of I/(m g l)', () => {
  assert.equal(pendulumReward(Math.cos((7.9 * Math.PI) / 180)), 1);
  assert.equal(pendulumReward(Math.cos((8.1 * Math.PI) / 180)), 0);
  assert.equal(pendulumReward(-1), 0);
  const env = makeEnv('pendulum-swingup', { actionRepeat: 1 });
  const sim = env.unwrapped as PendulumSwingup;
  env.reset(0);
  sim.setState({ theta: (5 * Math.PI) / 180, thetaDot: 0 });
  assert.equal(env.step([0]).reward, 1);
  sim.setState({ theta: (12 * Math.PI) / 180, thetaDot: 0 });
  assert.equal(env.step([0]).reward, 0);
  sim.setState({ theta: -(7 * Math.PI) / 180, thetaDot: 0 });
  assert.equal(env.step([1]).reward, 1);
  // Released near the bottom: first return to the same side after ~2π·sqrt(I/(m g l)), I = 0.251.
  sim.setState({ theta: Math.PI - 0.05, thetaDot: 0 });
  let prev = sim.getState().thetaDot,
    crossings = 0,
    t = 0;
  while (crossings < 2 && t < 500) {
    env.step([0]);
    t++;
    const w = sim.getState().thetaDot;
    if (prev < 0 && w >= 0) crossings++;
    if (prev > 0 && w <= 0) crossings++;
    prev = w;
  }
  const period = t * 0.02;
  const expected = 2 * Math.PI * Math.sqrt(0.251 / (9.81 * 0.5));
  assert.ok(Math.abs(period - expected) < 0.05, `period ${period} vs ${expected}`);
});
