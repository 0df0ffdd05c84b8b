import * as tf from '@tensorflow/tfjs-core';
import { modeAction } from '../agents/action-dist.ts';
import { Achiever } from '../agents/achiever.ts';
import { actorForward } from '../agents/actor.ts';
import type { Behavior } from '../agents/behavior.ts';
import { Lexa } from '../agents/lexa.ts';
import type { LatentWorldModel } from '../models/latent-world-model.ts';
import { UserError } from '../util/errors.ts';
import { filterFrames } from './filter-frames.ts';

/**
 * "Goals from any frame": the achiever pursuing a goal image in imagination. Real context frames are filtered
 * into the latent state, the achiever (its mode) imagines `horizon` steps towards the goal's embedding, every
 * state is decoded, and per state s_0 … s_H the latent distance to the goal is reported as the achiever's own
 * reward reads it — 1 − cos(f_t, g) with g = the model's `goalFeatures(embed(goal))` (lexa `get_init_feat_embed`),
 * and for a temporal-reward achiever the temporal distance D too. (The imagined side of the Dream Lab's goal panel;
 * the real env's side is core/runs/goal-real.ts.)
 */
export interface GoalDream {
  /** Decoded frames of s_0 … s_H: uint8 [(H+1)·S·S·3]. */
  frames: Uint8Array;
  size: number;
  horizon: number;
  /** [H+1]: 1 − cosine between each state's features and the goal's. */
  cosineDistance: Float32Array;
  /** [H+1]: the temporal distance D (normalised steps to go), for a temporal-reward achiever; else null. */
  temporalDistance: Float32Array | null;
}

export function achieverOf(behavior: Behavior): Achiever {
  if (behavior instanceof Lexa) return behavior.achiever;
  if (behavior instanceof Achiever) return behavior;
  throw new UserError(`its behaviour is '${behavior.kind}', which has no achiever (train with behavior=lexa)`);
}

/** 1 − cos(f, g) per row of features [N, F] to the goal's features [1, F]: the cosine achiever's reward, negated, plus 1. */
export function cosineDistance(feats: tf.Tensor2D, goalFeatures: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const goals = tf.tile(goalFeatures, [feats.shape[0], 1]) as tf.Tensor2D;
    const cos = tf.div(
      tf.sum(tf.mul(feats, goals), -1),
      tf.add(tf.mul(tf.norm(feats, 'euclidean', -1), tf.norm(goals, 'euclidean', -1)), 1e-8),
    );
    return tf.sub(1, cos) as tf.Tensor1D;
  });
}

/**
 * `frames`: uint8 [n·S·S·3] context frames at the model's size, `actions` [n·A] (row i led to frame i), `goal`
 * uint8 [S·S·3] at the model's size.
 */
export function goalDream(
  wm: LatentWorldModel,
  achiever: Achiever,
  frames: Uint8Array,
  actions: Float32Array,
  goal: Uint8Array,
  horizon: number,
): GoalDream {
  if (!wm.decode || !wm.embed || !wm.goalFeatures)
    throw new UserError('this world model has no pixel decoder and encoder to dream towards a goal with');
  const S = wm.imageSize;
  const A = wm.actionDim;
  const F = S * S * 3;
  const n = frames.length / F;
  if (!Number.isInteger(n) || n < 1 || actions.length !== n * A || goal.length !== F)
    throw new UserError(
      `goal dream: ${frames.length} frame bytes, ${actions.length} actions and a ${goal.length}-byte goal do not fit ${S}×${S} frames`,
    );
  if (!Number.isInteger(horizon) || horizon < 1 || horizon > 1000)
    throw new UserError(`goal dream: horizon must be an integer in [1, 1000], got ${horizon}`);
  const state = filterFrames(wm, frames, actions);
  const ac = achiever.ac;
  const out = tf.tidy(() => {
    const g = wm.embed!(goal, 1);
    const gFeat = wm.goalFeatures!(g);
    const policy = (feat: tf.Tensor2D) =>
      modeAction(actorForward(ac.actor, ac.config, ac.distKind, tf.concat([feat, g], -1) as tf.Tensor2D));
    const im = wm.imagine(state, policy, horizon, null);
    const feats = tf.reshape(im.features, [horizon + 1, -1]) as tf.Tensor2D;
    const goals = tf.tile(gFeat, [horizon + 1, 1]) as tf.Tensor2D;
    const temporal =
      achiever.config.reward === 'temporal'
        ? tf.neg(achiever.reward(wm, feats, goals, tf.tile(g, [horizon + 1, 1]) as tf.Tensor2D))
        : tf.zeros([0]);
    return { feats, cosDist: cosineDistance(feats, gFeat), temporal };
  });
  wm.disposeState(state);
  try {
    return {
      frames: wm.decode(out.feats),
      size: S,
      horizon,
      cosineDistance: Float32Array.from(out.cosDist.dataSync()),
      temporalDistance: out.temporal.size ? Float32Array.from(out.temporal.dataSync()) : null,
    };
  } finally {
    tf.dispose([out.feats, out.cosDist, out.temporal]);
  }
}
