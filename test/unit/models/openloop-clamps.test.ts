import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clampsText, openloopClamps } from '../../../core/models/openloop-clamps.ts';
import type { OpenLoopResult } from '../../../core/models/family.ts';

/** A result shaped like the families' (S = 2): `ctx` context frames, `dream` dream steps, `truth` real ones. */
function result(ctx: number, dream: number, truth: number): OpenLoopResult {
  const F = 2 * 2 * 3;
  return {
    size: 2,
    contextIndices: Array.from({ length: ctx }, (_, i) => i),
    dreamIndices: Array.from({ length: dream }, (_, i) => ctx + i),
    context: new Uint8Array(ctx * F),
    truth: new Uint8Array(truth * F),
    contextRecon: new Uint8Array(ctx * F),
    dream: new Uint8Array(dream * F),
    mse: Array.from({ length: dream }, (_, i) => (i < truth ? 0 : NaN)),
  };
}

test('open-loop clamps: a horizon past the episode end and a context the episode or family cut are reported', () => {
  assert.deepEqual(openloopClamps({ horizon: 5, context: 3 }, result(3, 5, 5)), {});
  // World Models shortens the dream itself; RSSM dreams on without truth: both count real-frame steps.
  assert.deepEqual(openloopClamps({ horizon: 30 }, result(5, 12, 12)), { horizon: { asked: 30, used: 12 } });
  assert.deepEqual(openloopClamps({ horizon: 30 }, result(5, 30, 12)), { horizon: { asked: 30, used: 12 } });
  assert.deepEqual(openloopClamps({ horizon: 4, context: 5 }, result(2, 4, 4)), { context: { asked: 5, used: 2 } });
  // The family's default context is not a clamp when the caller asked for none.
  assert.deepEqual(openloopClamps({ horizon: 4 }, result(1, 4, 4)), {});
  assert.equal(
    clampsText({ horizon: { asked: 30, used: 12 }, context: { asked: 5, used: 2 } }),
    'clamped: horizon 30 → 12 (the episode ends), context 5 → 2',
  );
  assert.equal(clampsText({}), null);
});
