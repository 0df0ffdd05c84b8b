import type { Space } from '../envs/types.ts';
import type { Rng } from '../util/rng.ts';
import { UserError } from '../util/errors.ts';
import type { Agent } from './rollout.ts';
import { actionDimOf, mapControllerOutputs, type ActionSpec } from '../models/controller-policy.ts';

/** Agents that need no model: what `oneiro collect` and online prefill roll out (rollout.ts). */

export type PolicyName = 'random' | 'brownian';
export const POLICIES: PolicyName[] = ['random', 'brownian'];

/** A model-free agent (an `Agent` that ignores the observation): the env action, an index or a vector. */
export interface Policy extends Agent {
  act(): number | Float32Array;
}

/** Uniform: an index in [0, n), or each dimension uniform in [low, high]. */
export function randomPolicy(space: Space, rng: Rng): Policy {
  return {
    reset() {},
    act() {
      if (space.kind === 'discrete') return rng.int(space.n);
      return Float32Array.from(space.low, (lo, i) => rng.uniform(lo, space.high[i]));
    },
  };
}

/**
 * Brownian motion in the box: a0 uniform, then a_{t+1} = clip(a_t + √dt · N(0, I), low, high) with dt = 1/50,
 * as ctallec/world-models data/utils.py `sample_continuous_policy` (generation_script.py, dt 1/50): smooth
 * action sequences that explore the dynamics better than white noise.
 */
export function brownianPolicy(space: Space, rng: Rng, dt = 1 / 50): Policy {
  if (space.kind !== 'box')
    throw new UserError(
      `--policy brownian needs a continuous (box) action space; this env's actions are discrete(${space.n}); use --policy random`,
    );
  let a: Float32Array | null = null;
  const s = Math.sqrt(dt);
  return {
    reset() {
      a = null;
    },
    act() {
      if (!a) a = Float32Array.from(space.low, (lo, i) => rng.uniform(lo, space.high[i]));
      else
        for (let i = 0; i < a.length; i++)
          a[i] = Math.min(space.high[i], Math.max(space.low[i], a[i] + s * rng.normal()));
      return Float32Array.from(a);
    },
  };
}

/**
 * Brownian motion over a World Models controller's outputs ([−1, 1] per dimension, as brownianPolicy), mapped
 * onto the action space as the controller maps them (core/models/controller-policy.ts): data that covers the
 * actions a dream-trained controller takes. With CarRacing's brake = clip(a, 0, 1) the brake is released half
 * the time, where Brownian motion in the box brakes at 0.5 on average and never shows the dream a free-running car.
 */
export function brownianControllerPolicy(spec: ActionSpec, rng: Rng, dt = 1 / 50): Policy {
  if (spec.kind !== 'box')
    throw new UserError(`a Brownian controller policy needs a continuous (box) action space, got discrete(${spec.n})`);
  const A = actionDimOf(spec);
  const inner = brownianPolicy(
    { kind: 'box', shape: [A], low: new Array(A).fill(-1), high: new Array(A).fill(1) },
    rng,
    dt,
  );
  return {
    reset: () => inner.reset(),
    act: () => mapControllerOutputs(inner.act() as Float32Array, spec),
  };
}

export function makePolicy(name: string, space: Space, rng: Rng): Policy {
  if (name === 'random') return randomPolicy(space, rng);
  if (name === 'brownian') return brownianPolicy(space, rng);
  throw new UserError(`unknown --policy '${name}': expected one of ${POLICIES.join(', ')}`);
}
