import * as tf from '@tensorflow/tfjs-core';
import { modeAction, sampleAction } from '../agents/action-dist.ts';
import { ActorCritic } from '../agents/actor-critic.ts';
import { actorForward } from '../agents/actor.ts';
import type { Behavior } from '../agents/behavior.ts';
import { criticValue } from '../agents/critic.ts';
import { lambdaReturn } from '../agents/lambda-return.ts';
import type { LatentWorldModel } from '../models/latent-world-model.ts';
import { UserError } from '../util/errors.ts';
import { filterFrames } from './filter-frames.ts';

/**
 * The actor's own dream (what Dreamer's actor-critic trains on, made visible): filter real context frames into
 * the latent state, imagine `horizon` steps under the actor, decode every state. Per state s_0 … s_H, aligned
 * with the frames: the reward head's prediction r_t for arriving in s_t, the discount γ·continuation(s_t), the
 * slow critic's value v(s_t) (the critic the λ-return targets bootstrap from, actor-critic.ts), and the
 * λ-return R_t from core/agents/lambda-return.ts exactly as training forms it:
 *   R_{0…H−1} = lambdaReturn(r_{1…H}, v_{0…H−1}, discount_{1…H}, bootstrap v_H, λ),  R_H = v_H.
 */
export interface ActorDream {
  /** Decoded frames of s_0 (the filtered real frame) … s_H: uint8 [(H+1)·S·S·3]. */
  frames: Uint8Array;
  size: number;
  horizon: number;
  /** The actor's actions a_0 … a_{H−1} as the model received them (one-hot for discrete spaces): [H·A]. */
  actions: Float32Array;
  actionDim: number;
  /** [H+1] each, aligned with the frames (reward[0] is the head's reading of the real start frame). */
  reward: Float32Array;
  discount: Float32Array;
  value: Float32Array;
  lambdaReturn: Float32Array;
  gamma: number;
  lambda: number;
}

/** The actor-critic a behaviour is, or a one-line reason why it has no actor. */
export function actorCriticOf(behavior: Behavior): ActorCritic {
  if (behavior instanceof ActorCritic) return behavior;
  throw new UserError(`its behaviour is '${behavior.kind}', which has no actor (train with behavior=actor-critic)`);
}

/**
 * `frames`: uint8 [n·S·S·3] real context frames at the model's size; `actions`: [n·A], row i the action that led
 * to frame i (zeros at an episode's start). `sample` null: the actor's mode and the prior's mode at every step;
 * a number seeds sampled actions and latents (as in training).
 */
export function actorDream(
  wm: LatentWorldModel,
  ac: ActorCritic,
  frames: Uint8Array,
  actions: Float32Array,
  horizon: number,
  sample: number | null,
): ActorDream {
  if (!wm.decode) throw new UserError('this world model has no pixel decoder to show the dream with');
  const S = wm.imageSize;
  const A = wm.actionDim;
  const F = S * S * 3;
  const n = frames.length / F;
  if (!Number.isInteger(n) || n < 1 || actions.length !== n * A)
    throw new Error(`actorDream: ${frames.length} frame bytes and ${actions.length} actions do not make n frames`);
  const c = ac.config;
  const start = filterFrames(wm, frames, actions, { sample });
  const out = tf.tidy(() => {
    const policy = (feat: tf.Tensor2D, t: number) => {
      const d = actorForward(ac.actor, c, ac.distKind, feat);
      return sample === null ? modeAction(d) : sampleAction(d, (sample + 7919 * (t + 1)) >>> 0).action;
    };
    const im = wm.imagine(start, policy, horizon, sample === null ? null : (sample ^ 0x5eed) >>> 0);
    const H = horizon;
    const flat = tf.reshape(im.features, [H + 1, -1]) as tf.Tensor2D;
    const reward = wm.reward(flat);
    const discount = tf.mul(wm.continuation(flat), c.gamma) as tf.Tensor1D;
    const value = criticValue(ac.slow, c, flat, 'slow');
    const col = (x: tf.Tensor1D, from: number, len: number) =>
      tf.reshape(tf.slice(x, [from], [len]), [len, 1]) as tf.Tensor2D;
    const ret = lambdaReturn(
      col(reward, 1, H),
      col(value, 0, H),
      col(discount, 1, H),
      tf.slice(value, [H], [1]) as tf.Tensor1D,
      c.lambda,
    );
    return {
      flat,
      actions: tf.reshape(im.actions, [-1]),
      reward,
      discount,
      value,
      ret: tf.concat([tf.reshape(ret, [H]), tf.slice(value, [H], [1])]),
    };
  });
  try {
    return {
      frames: wm.decode(out.flat),
      size: S,
      horizon,
      actions: Float32Array.from(out.actions.dataSync()),
      actionDim: A,
      reward: Float32Array.from(out.reward.dataSync()),
      discount: Float32Array.from(out.discount.dataSync()),
      value: Float32Array.from(out.value.dataSync()),
      lambdaReturn: Float32Array.from(out.ret.dataSync()),
      gamma: c.gamma,
      lambda: c.lambda,
    };
  } finally {
    tf.dispose([out.flat, out.actions, out.reward, out.discount, out.value, out.ret]);
    wm.disposeState(start);
  }
}
