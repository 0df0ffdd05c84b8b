import { episodeFromRollout, type Episode } from '../data/episode.ts';
import type { Env, Observation } from '../envs/types.ts';

/**
 * The one rollout loop (env × agent → episode), used by collection, online training and evaluation. Dreamer
 * layout (mission-anchors §1.0): row 0 = the reset frame with a zero action and reward; row t = the frame after
 * action t, that action (one-hot for discrete spaces), its reward. The env's true state, where it has one, is
 * recorded as the `state` key (float32 [T, d]) for probes and diagnostics.
 */
export interface Agent {
  /** Called before each episode. */
  reset(): void;
  /** The action for the observation at step t: an index or one-hot vector (discrete), a vector (box). */
  act(obs: Observation, t: number): number | Float32Array;
}

export interface Rollout {
  episode: Episode;
  /** Undiscounted return. */
  ret: number;
}

export function actionDim(space: Env['actionSpace']): number {
  return space.kind === 'discrete' ? space.n : space.shape.reduce((a, b) => a * b, 1);
}

/** One episode from reset(seed) until terminated, truncated, or `maxSteps` agent steps. */
export function rolloutEpisode(env: Env, agent: Agent, seed: number, maxSteps = Infinity): Rollout {
  const [H, W] = env.observationShape;
  const A = actionDim(env.actionSpace);
  const frames: Uint8Array[] = [];
  const states: Float32Array[] = [];
  const actions: number[] = [];
  const rewards: number[] = [0];
  let terminated = false;
  agent.reset();
  let obs = env.reset(seed);
  frames.push(obs.image);
  if (obs.state) states.push(obs.state);
  for (let k = 0; k < A; k++) actions.push(0);
  for (let t = 0; t < maxSteps; t++) {
    const a = agent.act(obs, t);
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
  const episode = episodeFromRollout({
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
    episode.extra = { state: { dtype: '<f4', shape: [T, d], data: state } };
  }
  return { episode, ret: rewards.reduce((a, b) => a + b, 0) };
}
