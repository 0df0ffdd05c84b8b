import type { Env, Space } from '../envs/types.ts';
import { episodeFromRollout, type Episode } from './episode.ts';
import { Rng } from '../util/rng.ts';
import { UserError } from '../util/errors.ts';

/**
 * Rolling a policy out in an env into Dreamer-layout episodes (row 0: reset frame, zero action, zero
 * reward; row t: the frame after action t, that action, its reward).
 */

export type PolicyName = 'random' | 'brownian';
export const POLICIES: PolicyName[] = ['random', 'brownian'];

/** A policy returns the env action (index for discrete spaces, a vector for boxes). */
export interface Policy {
  reset(): void;
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

export function actionDim(space: Space): number {
  return space.kind === 'discrete' ? space.n : space.shape.reduce((a, b) => a * b, 1);
}

/** One episode from reset(seed) until terminated or truncated. */
export function rolloutEpisode(env: Env, policy: Policy, seed: number): Episode {
  const [H, W] = env.observationShape;
  const A = actionDim(env.actionSpace);
  const frames: Uint8Array[] = [];
  const states: Float32Array[] = [];
  const actions: number[] = [];
  const rewards: number[] = [0];
  let terminated = false;
  policy.reset();
  let obs = env.reset(seed);
  frames.push(obs.image);
  if (obs.state) states.push(obs.state);
  for (let k = 0; k < A; k++) actions.push(0);
  for (;;) {
    const a = policy.act();
    const r = env.step(a);
    obs = r.obs;
    frames.push(obs.image);
    if (obs.state) states.push(obs.state);
    if (typeof a === 'number') for (let k = 0; k < A; k++) actions.push(k === a ? 1 : 0);
    else for (let k = 0; k < A; k++) actions.push(a[k]);
    rewards.push(r.reward);
    if (r.terminated || r.truncated) {
      terminated = r.terminated;
      break;
    }
  }
  const T = frames.length;
  const ep = episodeFromRollout({
    frames,
    action: Float32Array.from(actions),
    actionDim: A,
    rewards,
    terminated,
    height: H,
    width: W,
  });
  if (states.length === T && T > 0) {
    const d = states[0].length;
    const state = new Float32Array(T * d);
    states.forEach((s, t) => state.set(s, t * d));
    ep.extra = { state: { dtype: '<f4', shape: [T, d], data: state } };
  }
  return ep;
}
