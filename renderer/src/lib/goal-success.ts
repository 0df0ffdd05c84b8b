/**
 * The goal panel's success marker: the env's own goal test on the real env's rows, judged at the last row as the
 * goal benchmark does (`oneiro eval --goals`), or why the goal has no success test. Plain function, unit-tested.
 */
import type { GoalDreamReply } from '../../../core/contract/channels.ts';

export type GoalInEnv = Extract<GoalDreamReply['realEnv'], { kind: 'rollout' }>;

export function goalSuccessText(e: GoalInEnv): string {
  const s = e.success;
  if (!s) return e.successNote ?? 'no success test for this goal';
  if (s.reached)
    return `✓ goal reached: the env's test '${s.test}' passes at the last step (${e.steps}; first at step ${s.first})`;
  if (s.first !== null)
    return `✗ not reached: the env's test '${s.test}' passed at step ${s.first} but not at the last step (${e.steps})`;
  return `✗ not reached: the env's test '${s.test}' never passes in ${e.steps} steps`;
}
