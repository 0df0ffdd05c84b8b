import type { Space } from '../envs/types.ts';
import type { Rng } from '../util/rng.ts';
import { UserError } from '../util/errors.ts';
import type { Agent } from './rollout.ts';

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

export function makePolicy(name: string, space: Space, rng: Rng): Policy {
  if (name === 'random') return randomPolicy(space, rng);
  if (name === 'brownian') return brownianPolicy(space, rng);
  throw new UserError(`unknown --policy '${name}': expected one of ${POLICIES.join(', ')}`);
}
