import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeEnv } from '../../../core/envs/registry.ts';
import { SHAPES_COLORS, type Shapes2d } from '../../../core/envs/shapes.ts';
import type { PinPad } from '../../../core/envs/pinpad.ts';
import type { GoalEnv } from '../../../core/envs/types.ts';

function pixel(img: Uint8Array, width: number, x: number, y: number): number {
  const o = (y * width + x) * 3;
  return (img[o] << 16) | (img[o + 1] << 8) | img[o + 2];
}

// Action = object·4 + direction; directions up (row −1), right (col +1), down (row +1), left (col −1).
const UP = 0,
  RIGHT = 1,
  DOWN = 2,
  LEFT = 3;

test('shapes-2d: moves are blocked by walls and by other objects; free moves succeed', () => {
  const env = makeEnv('shapes-2d');
  const sim = env.unwrapped as Shapes2d;
  env.reset(0);
  const layout: [number, number][] = [
    [0, 0],
    [0, 1],
    [4, 4],
    [2, 2],
    [3, 0],
  ];
  layout.forEach(([r, c], i) => sim.teleport(i, r, c));
  const pos = (s: Float32Array, i: number) => [s[2 * i], s[2 * i + 1]];
  let r = env.step(0 * 4 + UP); // wall
  assert.deepEqual(pos(r.obs.state!, 0), [0, 0]);
  r = env.step(0 * 4 + LEFT); // wall
  assert.deepEqual(pos(r.obs.state!, 0), [0, 0]);
  r = env.step(0 * 4 + RIGHT); // object 1 is there
  assert.deepEqual(pos(r.obs.state!, 0), [0, 0]);
  r = env.step(1 * 4 + LEFT); // object 0 is there
  assert.deepEqual(pos(r.obs.state!, 1), [0, 1]);
  r = env.step(2 * 4 + DOWN); // wall at the bottom-right corner
  assert.deepEqual(pos(r.obs.state!, 2), [4, 4]);
  r = env.step(2 * 4 + RIGHT);
  assert.deepEqual(pos(r.obs.state!, 2), [4, 4]);
  r = env.step(0 * 4 + DOWN); // free
  assert.deepEqual(pos(r.obs.state!, 0), [1, 0]);
  r = env.step(1 * 4 + LEFT); // now free
  assert.deepEqual(pos(r.obs.state!, 1), [0, 0]);
  r = env.step(4 * 4 + UP); // (2,0) free
  assert.deepEqual(pos(r.obs.state!, 4), [2, 0]);
  r = env.step(4 * 4 + UP); // (1,0) is object 0
  assert.deepEqual(pos(r.obs.state!, 4), [2, 0]);
  assert.equal(r.reward, 0);
  assert.equal(r.terminated, false);
});

test('shapes-2d: reset places 5 objects on distinct cells; render draws each shape in its Set1 colour', () => {
  const env = makeEnv('shapes-2d');
  for (let seed = 0; seed < 20; seed++) {
    const s = env.reset(seed).state!;
    const cells = new Set<number>();
    for (let i = 0; i < 5; i++) cells.add(s[2 * i] * 5 + s[2 * i + 1]);
    assert.equal(cells.size, 5);
  }
  const sim = env.unwrapped as Shapes2d;
  [
    [0, 0],
    [0, 2],
    [2, 2],
    [4, 0],
    [4, 4],
  ].forEach(([r, c], i) => sim.teleport(i, r, c));
  const img = env.observe!().image;
  // Circle (object 0): centre filled, cell corner empty.
  assert.equal(pixel(img, 50, 5, 5), SHAPES_COLORS[0]);
  assert.equal(pixel(img, 50, 0, 0), 0);
  // Triangle (object 1) at row 0, col 2: bottom row filled across, top corners empty, apex column filled.
  assert.equal(pixel(img, 50, 21, 9), SHAPES_COLORS[1]);
  assert.equal(pixel(img, 50, 20, 1), 0);
  assert.equal(pixel(img, 50, 25, 1), SHAPES_COLORS[1]);
  // Square (object 2) fills its whole cell.
  for (const [x, y] of [
    [20, 20],
    [29, 29],
    [25, 22],
  ])
    assert.equal(pixel(img, 50, x, y), SHAPES_COLORS[2]);
  // Object 4 is a triangle again (4 % 3 = 1), object 3 a circle.
  assert.equal(pixel(img, 50, 45, 45), SHAPES_COLORS[4]);
  assert.equal(pixel(img, 50, 41, 41), 0);
  assert.equal(pixel(img, 50, 5, 45), SHAPES_COLORS[3]);
  assert.deepEqual(SHAPES_COLORS, [0xe41a1c, 0x377eb8, 0x4daf4a, 0x984ea3, 0xff7f00]);
});

test('pinpad: visiting pads 1→2→3 in order gives +10 once, success, green countdown, then respawn', () => {
  const env = makeEnv('pinpad') as GoalEnv;
  const sim = env.unwrapped as PinPad;
  env.reset(0);
  sim.teleport(4, 4); // on pad 1 (x 1..4, y 1..4)
  let r = env.step(0);
  assert.equal(r.info.sequence, '1');
  const DOWN = 1,
    UP = 2,
    RIGHT = 3;
  const rewards: number[] = [];
  const walk = (a: number, n: number) => {
    for (let k = 0; k < n; k++) {
      r = env.step(a);
      rewards.push(r.reward);
    }
  };
  walk(DOWN, 5); // (4, 9): floor
  walk(RIGHT, 2); // (6, 9): pad 2
  assert.equal(r.info.sequence, '12');
  walk(UP, 5); // (6, 4)
  walk(RIGHT, 4); // (10, 4)
  assert.equal(
    rewards.reduce((a, b) => a + b, 0),
    0,
  );
  assert.equal(env.isSuccess(), false);
  walk(RIGHT, 1); // (11, 4): pad 3
  assert.equal(r.reward, 10);
  assert.equal(env.isSuccess(), true);
  // Green countdown background (223, 255, 223) on a floor cell, e.g. cell (7, 6) → pixel (29, 25).
  assert.equal(pixel(r.obs.image, 64, 29, 25), 0xdfffdf);
  // No second reward while counting down, even standing on pad 3.
  for (let k = 0; k < 10; k++) {
    r = env.step(0);
    assert.equal(r.reward, 0);
    assert.equal(env.isSuccess(), k < 9, `countdown step ${k}`);
  }
  // Respawned with the sequence cleared (the noop may re-add the pad the player spawned on).
  assert.ok((r.info.sequence as string).length <= 1, 'sequence cleared after the countdown');
  assert.equal(pixel(r.obs.image, 64, 29, 25), 0xffffff);
});

test('pinpad: a wrong order gives nothing; the goal image shows the completed sequence', () => {
  const env = makeEnv('pinpad-three') as GoalEnv;
  const sim = env.unwrapped as PinPad;
  env.reset(3);
  let total = 0;
  for (const pad of ['2', '1', '3']) {
    const [x, y] = sim.cellsOf(pad)[0];
    sim.teleport(x, y);
    total += env.step(0).reward;
  }
  assert.equal(total, 0);
  assert.equal(env.isSuccess(), false);
  const goal = env.goalImage();
  assert.equal(goal.length, 64 * 64 * 3);
  // Sequence bar (grid row 14): pads 1, 2, 3 at columns 1, 3, 5.
  assert.equal(pixel(goal, 64, 5, 57), 0xff0000);
  assert.equal(pixel(goal, 64, 13, 57), 0x00ff00);
  assert.equal(pixel(goal, 64, 21, 57), 0x0000ff);
  assert.equal(pixel(goal, 64, 29, 25), 0xdfffdf);
  // The goal image does not disturb the episode.
  assert.equal(env.observe!().image[29 * 3 + 25 * 64 * 3], 255);
  assert.equal(env.isSuccess(), false);
});

test('pinpad: moves into walls keep the player in place', () => {
  const env = makeEnv('pinpad');
  const sim = env.unwrapped as PinPad;
  env.reset(0);
  sim.teleport(1, 6);
  const r = env.step(4); // left into the wall at x = 0
  assert.deepEqual(Array.from(r.obs.state!.slice(0, 2)), [1, 6]);
  assert.throws(() => sim.teleport(0, 0), /not a free cell/);
});
