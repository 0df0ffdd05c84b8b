import * as tf from '@tensorflow/tfjs-core';
import { type Params, initMlp, mlp } from '../models/nn.ts';
import type { Rng } from '../util/rng.ts';
import type { ActorCriticConfig } from '../models/actor-critic-config.ts';

/**
 * The critic v(s) (an MLP with a Normal(·, 1) output, Dreamer v1 value / DreamerV2 critic) and its slow target
 * copy (DreamerV2 agent.py ActorCritic.update_slow_target). Parameters `critic/…` and `slow/…`.
 */
export function initCritic(params: Params, c: ActorCriticConfig, featureSize: number, rng: Rng, name = 'critic'): void {
  initMlp(params, name, featureSize, c.critic.units, c.critic.layers, rng);
}

/** [N, F] → [N]. */
export function criticValue(p: Params, c: ActorCriticConfig, feat: tf.Tensor2D, name = 'critic'): tf.Tensor1D {
  return tf.reshape(mlp(p, name, feat, c.critic.layers, c.critic.act), [-1]);
}

/**
 * The slow critic's schedule, as DreamerV2's update_slow_target: called before every update; on updates
 * 0, N, 2N, … the slow weights move to mix·critic + (1 − mix)·slow (mix = 1 on update 0, else the fraction).
 * Returns whether the target moved.
 */
export function updateSlowTarget(critic: Params, slow: Params, c: ActorCriticConfig, updates: number): boolean {
  if (updates % c.critic.slowEvery !== 0) return false;
  const mix = updates === 0 ? 1 : c.critic.slowFraction;
  tf.tidy(() => {
    for (const [k, v] of Object.entries(critic)) {
      const s = slow[`slow/${k.slice('critic/'.length)}`];
      s.assign(mix === 1 ? v : tf.add(tf.mul(v, mix), tf.mul(s, 1 - mix)));
    }
  });
  return true;
}
