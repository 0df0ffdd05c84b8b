/**
 * What the workbench shows of a run's behaviour: whether it has an actor (Dreamer's actor-critic) to dream
 * with and drive the Play autopilot, and which of its logged metrics are the behaviour's (core/agents/
 * actor-critic.ts logs them unprefixed under the phase: `model/actor_loss`, `model/imag_return`, …).
 */
import type { RunSummary } from '../../../core/contract/channels.ts';

/** Null when the run has an actor; otherwise a one-line reason why the actor's views are absent. */
export function actorAbsence(run: Pick<RunSummary, 'id' | 'family' | 'behavior'> | null | undefined): string | null {
  if (!run) return 'Choose a run first.';
  if (run.behavior === 'actor-critic') return null;
  if (run.behavior === 'cem')
    return `Run ${run.id} plans with CEM (behavior: cem): it has no actor to imagine with. Train one with behavior=actor-critic (presets dreamerv1, dreamerv2).`;
  if (run.behavior) return `Run ${run.id} trains behaviour '${run.behavior}', which has no actor.`;
  return `Run ${run.id} (${run.family}) trains no actor-critic: only runs with behavior=actor-critic have an actor.`;
}

/** Null when the run has an achiever (LEXA) to pursue goals with; otherwise a one-line reason why not. */
export function achieverAbsence(run: Pick<RunSummary, 'id' | 'family' | 'behavior'> | null | undefined): string | null {
  if (!run) return 'Choose a run first.';
  if (run.behavior === 'lexa') return null;
  return `Run ${run.id} trains ${run.behavior ? `behaviour '${run.behavior}'` : `no behaviour (${run.family})`}, which has no goal-reaching achiever: train one with behavior=lexa.`;
}

export type BehaviorGroup = 'actor' | 'critic' | 'imagination' | 'env return';

/** The behaviour group a metric key belongs to, or null for the world model's own terms. */
export function behaviorGroup(key: string): BehaviorGroup | null {
  const k = key.slice(key.lastIndexOf('/') + 1);
  if (/^actor_/.test(k)) return 'actor';
  if (/^critic_/.test(k) || k === 'value_mean') return 'critic';
  if (/^imag_/.test(k)) return 'imagination';
  if (/^(eval|random|train|last_train)_return$/.test(k)) return 'env return';
  return null;
}

const ORDER: BehaviorGroup[] = ['actor', 'critic', 'imagination', 'env return'];

/** Behaviour keys, grouped in a fixed order (actor, critic, imagined return, real-env return); losses first in a group. */
export function behaviorKeys(keys: string[]): string[] {
  const rank = (k: string) => ORDER.indexOf(behaviorGroup(k)!);
  const loss = (k: string) => (/loss/.test(k) ? 0 : 1);
  return keys
    .filter((k) => behaviorGroup(k) !== null)
    .sort((a, b) => rank(a) - rank(b) || loss(a) - loss(b) || a.localeCompare(b));
}
