import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeEnv } from '../../../core/envs/registry.ts';
import { trackPose, type CarRacing } from '../../../core/envs/car-racing.ts';
import { PLAYFIELD, TRACK_RAD, TRACK_DETAIL_STEP, createTrack } from '../../../core/envs/car-track.ts';
import { Rng } from '../../../core/util/rng.ts';
import type { Env, StepResult } from '../../../core/envs/types.ts';

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) <= eps, `${a} vs ${b}`);

/**
 * After a teleport, Box2D finds the new overlaps at the end of the next step and reports begin-contact in
 * the one after (the same one-frame delay as when driving), so we take two standing steps.
 */
function settle(env: Env): { reward: number; last: StepResult } {
  const a = env.step([0, 0, 0]);
  const b = env.step([0, 0, 0]);
  return { reward: a.reward + b.reward, last: b };
}

test('track: a closed loop of tiles around the circle, deterministic per seed', () => {
  for (let seed = 0; seed < 5; seed++) {
    const t = createTrack(new Rng(seed));
    const n = t.tiles.length;
    assert.ok(n > 150 && n < 450, `${n} tiles`);
    // Consecutive points are TRACK_DETAIL_STEP apart, including the wrap-around (closed loop).
    for (let i = 0; i < n; i++) {
      const a = t.points[i],
        b = t.points[(i + 1) % n];
      const d = Math.hypot(a.x - b.x, a.y - b.y);
      assert.ok(d < 2.5 * TRACK_DETAIL_STEP, `gap ${d} at ${i}`);
      assert.ok(Math.hypot(a.x, a.y) < 1.6 * TRACK_RAD && Math.hypot(a.x, a.y) > 0.2 * TRACK_RAD);
    }
    assert.deepEqual(createTrack(new Rng(seed)).points, t.points);
  }
  assert.notDeepEqual(createTrack(new Rng(1)).points, createTrack(new Rng(2)).points);
});

test('reward: −0.1 per frame plus 1000/N per newly visited tile', () => {
  const env = makeEnv('car-racing');
  const sim = env.unwrapped as CarRacing;
  env.reset(11);
  const n = sim.track.tiles.length;
  // First step: the tiles under the car at the start (touched during reset's action-less frame) count now.
  let r = env.step([0, 0, 0]);
  const v0 = r.info.tilesVisited as number;
  assert.equal(r.info.tiles, n);
  assert.ok(v0 >= 1, 'the start tile is visited');
  close(r.reward, -0.1 + (v0 * 1000) / n);
  // Standing still: nothing new, exactly −0.1.
  r = env.step([0, 0, 0]);
  assert.equal(r.info.tilesVisited, v0);
  close(r.reward, -0.1);
  // Teleported onto an unvisited tile half a lap away: its tiles are paid once.
  const k = Math.floor(n / 2);
  const p = sim.track.points[k];
  sim.teleport(p.x, p.y, p.beta);
  let st = settle(env);
  const v1 = st.last.info.tilesVisited as number;
  assert.ok(v1 > v0, 'new tiles visited');
  close(st.reward, -0.2 + ((v1 - v0) * 1000) / n);
  r = env.step([0, 0, 0]);
  close(r.reward, -0.1);
  // Back to the start: already visited, no reward.
  const s = sim.track.points[0];
  sim.teleport(s.x, s.y, s.beta);
  st = settle(env);
  close(st.reward, -0.2);
  assert.equal(st.last.terminated, false);
});

test('reward: driving on the road collects tiles; grass pays nothing', () => {
  const env = makeEnv('car-racing');
  const sim = env.unwrapped as CarRacing;
  env.reset(3);
  let total = 0;
  for (let t = 0; t < 150; t++) total += env.step([0, 0.3, 0]).reward;
  assert.ok(sim.visitedCount > 10, `visited ${sim.visitedCount}`);
  close(total, -0.1 * 150 + (sim.visitedCount * 1000) / sim.track.tiles.length, 1e-6);
  // Find a grass spot well away from every tile.
  let spot: [number, number] | null = null;
  for (let x = -100; x <= 100 && !spot; x += 10) {
    for (let y = -100; y <= 100 && !spot; y += 10) {
      if (sim.track.points.every((q) => Math.hypot(q.x - x, q.y - y) > 25)) spot = [x, y];
    }
  }
  assert.ok(spot);
  const before = sim.visitedCount;
  sim.teleport(spot[0], spot[1], 0);
  close(settle(env).reward, -0.2);
  assert.equal(sim.visitedCount, before);
});

test('leaving the playfield: −100 and terminated', () => {
  const env = makeEnv('car-racing');
  const sim = env.unwrapped as CarRacing;
  env.reset(5);
  env.step([0, 0, 0]);
  sim.teleport(PLAYFIELD + 5, 0, 0);
  const r = env.step([0, 0, 0]);
  assert.equal(r.reward, -100);
  assert.equal(r.terminated, true);
  assert.equal(r.truncated, false);
  assert.throws(() => env.step([0, 0, 0]), /episode ended/);
});

test('visiting every tile terminates the episode', () => {
  const env = makeEnv('car-racing');
  const sim = env.unwrapped as CarRacing;
  env.reset(2);
  const n = sim.track.tiles.length;
  let r = env.step([0, 0, 0]);
  let total = r.reward;
  for (let i = 0; i < n && !r.terminated; i += 2) {
    const p = sim.track.points[i];
    sim.teleport(p.x, p.y, p.beta);
    r = env.step([0, 0, 0]);
    total += r.reward;
    if (r.terminated) break;
    r = env.step([0, 0, 0]);
    total += r.reward;
  }
  assert.equal(sim.visitedCount, n);
  assert.equal(r.terminated, true);
  close(total, 1000 - 0.1 * (r.info.steps as number), 1e-6);
});

test('gas accelerates the car forward, brake stops it, steering turns it', () => {
  const env = makeEnv('car-racing');
  const sim = env.unwrapped as CarRacing;
  env.reset(8);
  for (let t = 0; t < 60; t++) env.step([0, 1, 0]);
  const v = sim.car.hull.getLinearVelocity();
  const speed = Math.hypot(v.x, v.y);
  assert.ok(speed > 10, `speed ${speed}`);
  // Moving along the heading (forward is the body's +y).
  const fwd = sim.car.hull.getWorldVector({ x: 0, y: 1 });
  assert.ok((fwd.x * v.x + fwd.y * v.y) / speed > 0.95);
  const a0 = sim.car.hull.getAngle();
  for (let t = 0; t < 20; t++) env.step([1, 0.3, 0]);
  // steer +1 is right: the anchor negates it for the wheels, turning clockwise (angle decreases).
  assert.ok(sim.car.hull.getAngle() < a0 - 0.05, `angle ${a0} → ${sim.car.hull.getAngle()}`);
  for (let t = 0; t < 100; t++) env.step([0, 0, 1]);
  const v2 = sim.car.hull.getLinearVelocity();
  assert.ok(Math.hypot(v2.x, v2.y) < 0.5, `braked to ${Math.hypot(v2.x, v2.y)}`);
});

test('state: the pose relative to the nearest track point (lateral offset along (cos β, sin β), heading − β), as recorded', () => {
  const env = makeEnv('car-racing', { size: 16 });
  const sim = env.unwrapped as CarRacing;
  env.reset(5);
  const n = sim.track.points.length;
  const p = sim.track.points[Math.floor(n / 3)];
  // On the centre line, along the track: no offset, no heading error.
  close(trackPose(sim.track.points, p.x, p.y, p.beta).offset, 0);
  close(trackPose(sim.track.points, p.x, p.y, p.beta).heading, 0);
  // 2 units across the track (a quarter of its width) and turned by 0.3 rad.
  const d = trackPose(sim.track.points, p.x + 2 * Math.cos(p.beta), p.y + 2 * Math.sin(p.beta), p.beta + 0.3);
  close(d.offset, 2, 1e-6);
  close(d.heading, 0.3, 1e-9);
  close(trackPose(sim.track.points, p.x - 2 * Math.cos(p.beta), p.y - 2 * Math.sin(p.beta), p.beta).offset, -2, 1e-6);
  // The recorded state carries it: the car teleported 2 units off the centre line, at the track's heading.
  sim.teleport(p.x + 2 * Math.cos(p.beta), p.y + 2 * Math.sin(p.beta), p.beta - 0.2);
  const state = env.step([0, 0, 0]).obs.state!;
  assert.equal(state.length, 13);
  close(state[11], 2, 0.05);
  close(state[12], -0.2, 0.01);
  // The start: the car on track point 0 facing along it.
  const s0 = env.reset(5).state!;
  close(s0[11], 0, 0.05);
  close(s0[12], 0, 0.01);
});
