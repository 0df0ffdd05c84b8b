import * as tf from '@tensorflow/tfjs-core';
import type { Space } from '../envs/types.ts';
import { type Params, initMlp, mlp } from '../models/nn.ts';
import type { Rng } from '../util/rng.ts';
import { type ActionDist, type ActionDistKind, actionDist, rawSize } from './action-dist.ts';
import type { ActorCriticConfig } from '../models/actor-critic-config.ts';

/**
 * The actor π(a | s): an MLP on the model's features (Dreamer v1 ActionDecoder, DreamerV2 ActorCritic.actor)
 * whose output parameterises the action distribution (action-dist.ts). Parameters `actor/…`.
 */
export function actorDistKind(c: ActorCriticConfig, space: Space): ActionDistKind {
  return space.kind === 'discrete' ? 'onehot' : c.actor.dist;
}

export function initActor(
  params: Params,
  c: ActorCriticConfig,
  featureSize: number,
  actionDim: number,
  kind: ActionDistKind,
  rng: Rng,
): void {
  initMlp(params, 'actor', featureSize, c.actor.units, c.actor.layers, rng, rawSize(kind, actionDim));
  // A small output layer starts the mode near 0 and the std near its middle whatever the features (DreamerV3
  // policy outscale 0.01), instead of a state-dependent push of tanh(μ) towards a bound.
  const out = params['actor/out/w'];
  if (c.actor.outScale !== 1) out.assign(tf.tidy(() => tf.mul(out, c.actor.outScale)));
}

export function actorForward(p: Params, c: ActorCriticConfig, kind: ActionDistKind, feat: tf.Tensor2D): ActionDist {
  return actionDist(kind, mlp(p, 'actor', feat, c.actor.layers, c.actor.act), c.actor);
}

/** Which actor gradient to use (DreamerV2 actor_grad 'auto': dynamics for continuous, REINFORCE for discrete). */
export function actorGrad(c: ActorCriticConfig, space: Space): 'dynamics' | 'reinforce' | 'both' {
  if (c.actor.grad !== 'auto') return c.actor.grad;
  return space.kind === 'discrete' ? 'reinforce' : 'dynamics';
}
