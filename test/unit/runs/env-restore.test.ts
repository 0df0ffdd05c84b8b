import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeEnv } from '../../../core/envs/registry.ts';
import { restoredEnv } from '../../../core/runs/env-restore.ts';
import { UserError } from '../../../core/util/errors.ts';

// The goal panel's real side starts a built-in env at a recorded row by setting its state (episodes record no
// reset seed to replay from): exact where the recorded state is the whole state, labelled where it is not.

test('point-goals restored to a recorded state reproduces that row: its frame and every later step', () => {
  const rec = makeEnv('point-goals', { size: 32 });
  let obs = rec.reset(7);
  for (let t = 0; t < 5; t++) obs = rec.step([0.7, -0.4]).obs;
  const { env, missing } = restoredEnv(makeEnv('point-goals', { size: 32 }), obs.state!);
  assert.equal(missing, null);
  const start = env.reset(123); // another seed: the recorded state overrides its start
  assert.deepEqual(Buffer.from(start.image), Buffer.from(obs.image));
  const a = rec.step([-1, 0.3]).obs;
  const b = env.step([-1, 0.3]).obs;
  assert.deepEqual(Array.from(b.state!), Array.from(a.state!));
  assert.deepEqual(Buffer.from(b.image), Buffer.from(a.image));
});

test('pinpad is restored to its player and countdown, and says what the recorded state leaves out', () => {
  const rec = makeEnv('pinpad-three', { size: 32 });
  const s0 = rec.reset(3).state!;
  const state = Float32Array.from([s0[0], s0[1], 4]);
  const { env, missing } = restoredEnv(makeEnv('pinpad-three', { size: 32 }), state);
  assert.deepEqual(Array.from(env.reset(99).state!), Array.from(state));
  assert.match(missing ?? '', /pads visited so far .* not in the recorded state/);
});

test('an env without a way to set its state is refused in one line', () => {
  assert.throws(
    () => restoredEnv(makeEnv('car-racing', { size: 32 }), new Float32Array(11)),
    (e: unknown) =>
      e instanceof UserError &&
      /^env 'car-racing' cannot be set to a recorded state \(its recorded state does not pin down/.test(e.message) &&
      !e.message.includes('\n'),
  );
  assert.throws(
    () => restoredEnv(makeEnv('point-goals', { size: 32 }), new Float32Array(3)),
    /recorded state has 3 numbers, expected 2/,
  );
});
