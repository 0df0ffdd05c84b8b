import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goalSuccessText, type GoalInEnv } from '../../../renderer/src/lib/goal-success.ts';

const base: GoalInEnv = {
  kind: 'rollout',
  env: 'point-goals',
  startExact: true,
  startNote: null,
  steps: 3,
  frames: { shape: [4, 4, 4, 3], data: new Uint8Array(4 * 4 * 4 * 3) },
  state: new Float32Array(8),
  cosineDistance: new Float32Array(4),
  success: null,
  successNote: 'no success test for this goal: its state passes none of the env goal tests',
};
const success = (steps: number[]) => {
  const at = steps.indexOf(1);
  return { test: 'east', steps: Uint8Array.from(steps), reached: steps.at(-1) === 1, first: at < 0 ? null : at };
};

test('the goal success marker: reached at the last step, passed then left, never, or no test', () => {
  assert.equal(goalSuccessText(base), base.successNote);
  assert.match(
    goalSuccessText({ ...base, success: success([0, 0, 1, 1]), successNote: null }),
    /^✓ goal reached: .*'east' passes at the last step \(3; first at step 2\)/,
  );
  assert.match(
    goalSuccessText({ ...base, success: success([0, 1, 0, 0]), successNote: null }),
    /^✗ not reached: .*passed at step 1 but not at the last step \(3\)/,
  );
  assert.match(
    goalSuccessText({ ...base, success: success([0, 0, 0, 0]), successNote: null }),
    /^✗ not reached: .*never passes in 3 steps/,
  );
});
