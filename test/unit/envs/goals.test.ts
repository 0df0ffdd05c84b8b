import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeEnv } from '../../../core/envs/registry.ts';
import { POINT_GOALS, PointGoals, SUCCESS_RADIUS } from '../../../core/envs/point-goals.ts';
import type { PinPad } from '../../../core/envs/pinpad.ts';
import { Rng } from '../../../core/util/rng.ts';
import { pearson } from '../../../core/util/pearson.ts';

test('point-goals: 8 goals, each image rendered from its goal state, success within the radius only, never a reward', () => {
  const env = makeEnv('point-goals', { size: 64 });
  const goals = env.goals!();
  assert.equal(goals.length, 8);
  assert.equal(new Set(goals.map((g) => g.name)).size, 8);
  assert.equal(new Set(goals.map((g) => g.image.join(','))).size, 8, 'distinct goal images');
  const sim = env.unwrapped as PointGoals;
  env.reset(3);
  const before = [sim.x, sim.y];
  for (const [k, g] of goals.entries()) {
    const p = POINT_GOALS[k];
    sim.x = p.x;
    sim.y = p.y;
    assert.deepEqual(Array.from(env.observe!().image), Array.from(g.image), `${g.name}: the frame of the goal state`);
    assert.ok(g.success(Float32Array.of(p.x, p.y)));
    assert.ok(g.success(Float32Array.of(p.x + 0.9 * SUCCESS_RADIUS, p.y)));
    assert.ok(!g.success(Float32Array.of(p.x + 1.1 * SUCCESS_RADIUS, p.y)));
  }
  // Listing goals restores the simulator's state.
  sim.x = before[0];
  sim.y = before[1];
  const again = makeEnv('point-goals', { size: 64 });
  again.reset(3);
  again.goals!();
  assert.deepEqual(Array.from(again.observe!().image), Array.from(env.observe!().image));
  // The agent never sees success: reward is 0 even standing on a goal.
  const g0 = POINT_GOALS[0];
  const s2 = again.unwrapped as PointGoals;
  s2.x = g0.x;
  s2.y = g0.y;
  assert.equal(again.step([0, 0]).reward, 0);
});

test('point-goals frames are alike as far as their states are near: pixel cosine correlates ≥ 0.9 with −distance', () => {
  // What LEXA's cosine reward can at best rank by (the images themselves); random state pairs at 32 px.
  const env = makeEnv('point-goals', { size: 32 });
  const sim = env.unwrapped as PointGoals;
  env.reset(0);
  const rng = new Rng(5);
  const frameAt = (x: number, y: number) => {
    sim.x = x;
    sim.y = y;
    return Float64Array.from(env.observe!().image);
  };
  const cosines: number[] = [];
  const negDist: number[] = [];
  for (let k = 0; k < 1500; k++) {
    const a = [rng.uniform(-1, 1), rng.uniform(-1, 1)];
    const b = [rng.uniform(-1, 1), rng.uniform(-1, 1)];
    const fa = frameAt(a[0], a[1]);
    const fb = frameAt(b[0], b[1]);
    let d = 0,
      na = 0,
      nb = 0;
    for (let i = 0; i < fa.length; i++) {
      d += fa[i] * fb[i];
      na += fa[i] * fa[i];
      nb += fb[i] * fb[i];
    }
    cosines.push(d / Math.sqrt(na * nb));
    negDist.push(-Math.hypot(a[0] - b[0], a[1] - b[1]));
  }
  const r = pearson(cosines, negDist);
  assert.ok(r >= 0.9, `pixel cosine vs −distance: Pearson ${r.toFixed(3)}`);
});

test('point-goals moves by 0.1·action, clipped to the square', () => {
  const env = makeEnv('point-goals', { size: 16 });
  env.reset(0);
  const sim = env.unwrapped as PointGoals;
  sim.x = 0.95;
  sim.y = 0;
  const r = env.step([1, -0.5]);
  assert.deepEqual(
    Array.from(r.obs.state!),
    [1, -0.05].map((v) => Math.fround(v)),
  );
});

test('pinpad: one goal per pad (the player on pad k); success = standing on a cell of pad k', () => {
  const env = makeEnv('pinpad-four', { size: 64 });
  env.reset(0);
  const goals = env.goals!();
  assert.deepEqual(
    goals.map((g) => g.name),
    ['pad 1', 'pad 2', 'pad 3', 'pad 4'],
  );
  const sim = env.unwrapped as PinPad;
  for (const [k, g] of goals.entries()) {
    const pad = String(k + 1);
    const cells = sim.cellsOf(pad);
    assert.ok(
      cells.every(([x, y]) => g.success(Float32Array.of(x, y, 0))),
      `${g.name}: every cell of the pad`,
    );
    const other = sim.cellsOf(String(((k + 1) % 4) + 1))[0];
    assert.ok(!g.success(Float32Array.of(other[0], other[1], 0)), `${g.name}: not another pad`);
    // The image shows the player (black cell) on the pad.
    const [x, y] = cells[Math.floor(cells.length / 2)];
    const i = ((y * 4 + 2) * 64 + (x * 4 + 2)) * 3;
    assert.deepEqual(Array.from(g.image.slice(i, i + 3)), [0, 0, 0], `${g.name}: player drawn on the pad`);
  }
  assert.equal(makeEnv('cartpole-swingup').goals, undefined, 'envs without goals have no goal list');
});
