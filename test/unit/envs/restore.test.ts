import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeEnv } from '../../../core/envs/registry.ts';
import type { Env } from '../../../core/envs/types.ts';
import { UserError } from '../../../core/util/errors.ts';

// Env.restore continues an episode from a recorded row without its reset seed: where the recorded state pins
// down the simulator, the restored env shows the recorded frame and then follows the recording step for step.

/** Records an episode for `steps` steps of `act(t)`, then restores a fresh env at its row `from` (another seed). */
function replayFrom(name: string, act: (t: number) => number[] | number, steps = 12, from = 5) {
  const rec = makeEnv(name, { size: 32 });
  const rows = [rec.reset(7)];
  for (let t = 0; t < steps; t++) rows.push(rec.step(act(t)).obs);
  const env: Env = makeEnv(name, { size: 32 });
  assert.ok(env.restore, `${name} has restore`);
  const start = env.restore(123, rows[from].state!);
  const replay = [start];
  for (let t = from; t < steps; t++) replay.push(env.step(act(t)).obs);
  return { rows: rows.slice(from), replay, env };
}

const CASES: [string, (t: number) => number[] | number][] = [
  ['point-goals', (t) => [Math.sin(t), Math.cos(0.7 * t)]],
  ['cartpole-swingup', (t) => [Math.sin(0.9 * t)]],
  ['pendulum-swingup', (t) => [t % 3 === 0 ? 1 : -0.5]],
  ['shapes-2d', (t) => (7 * t) % 20],
];

for (const [name, act] of CASES) {
  test(`${name} restored at a recorded row shows its frame and follows the recording`, () => {
    const { rows, replay, env } = replayFrom(name, act);
    assert.equal(env.restoreLeavesOut, null);
    for (let i = 0; i < rows.length; i++) {
      const a = rows[i].state!,
        b = replay[i].state!;
      // The recorded state is float32; the physics continues from its rounding, so states agree to ~1e-5.
      for (let k = 0; k < a.length; k++)
        assert.ok(Math.abs(a[k] - b[k]) < 1e-4, `row ${i} state[${k}]: ${a[k]} vs ${b[k]}`);
    }
    assert.deepEqual(Buffer.from(replay[0].image), Buffer.from(rows[0].image));
  });
}

test('pinpad restores the player and countdown and names the sequence it leaves out', () => {
  const env = makeEnv('pinpad-three', { size: 32 });
  const s0 = env.reset(3).state!;
  const state = Float32Array.from([s0[0], s0[1], 4]);
  assert.deepEqual(Array.from(env.restore!(99, state).state!), Array.from(state));
  assert.match(env.restoreLeavesOut ?? '', /pads visited so far .* not in the recorded state/);
});

test('a distracting background is named as what a restore leaves out', () => {
  const env = makeEnv('cartpole-swingup', { size: 32, background: 'noise' });
  assert.match(env.restoreLeavesOut ?? '', /background .* reset seed/);
});

test('car-racing has no restore (its track comes from the reset seed); a wrong-length state is refused', () => {
  assert.equal(makeEnv('car-racing', { size: 32 }).restore, undefined);
  const env = makeEnv('point-goals', { size: 32 });
  assert.throws(
    () => env.restore!(0, new Float32Array(3)),
    (e: unknown) => e instanceof UserError && /recorded state has 3 numbers, expected 2/.test(e.message),
  );
});
