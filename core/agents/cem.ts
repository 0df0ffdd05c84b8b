import * as tf from '@tensorflow/tfjs-core';
import type { LatentState, LatentWorldModel } from '../models/latent-world-model.ts';
import { UserError } from '../util/errors.ts';
import { tfSeed } from '../tensor/seed.ts';
import type { Behavior, BehaviorCheckpoint } from './behavior.ts';

/**
 * Cross-entropy method over action sequences in the learned model (PlaNet planet/control/planning.py
 * cross_entropy_method; objective planet/scripts/objectives.py `reward` = Σ over the horizon of the reward
 * head's mean): μ = 0, σ = 1 over (horizon × action); sample candidates, clip to the action box, roll the
 * prior from the current belief, keep the top k by predicted return, refit μ, σ = √(var + 1e-6); repeat.
 * Returns μ (the first row is the action to take: model-predictive control).
 */
export interface CemOptions {
  horizon: number;
  candidates: number;
  topK: number;
  iterations: number;
  /** Action box (defaults [−1, 1] per dimension, PlaNet's clip). */
  low?: number[];
  high?: number[];
}

export const CEM_DEFAULTS = { horizon: 12, candidates: 1000, topK: 100, iterations: 10 } as const; // PlaNet configs.py (§1.2)

export interface CemResult {
  /** First action of the refined mean sequence [A]. */
  action: Float32Array;
  /** The refined mean sequence [H·A]. */
  mean: Float32Array;
  /** Model return of the refined mean sequence (one more rollout). */
  meanReturn: number;
}

/**
 * Predicted returns of N action sequences [N, H, A] from one state ([1, …]) of any latent world model. The
 * prior's mode is rolled, as PlaNet's planner rolls the prior's mean; returns [N].
 */
export function sequenceReturns(wm: LatentWorldModel, state: LatentState, actions: tf.Tensor3D): tf.Tensor1D {
  return tf.tidy(() => {
    const [n, h] = actions.shape;
    const start: LatentState = {};
    for (const [k, v] of Object.entries(state)) start[k] = tf.tile(v, [n, ...v.shape.slice(1).map(() => 1)]);
    const acts = tf.unstack(actions, 1) as tf.Tensor2D[];
    const { features } = wm.imagine(start, (_f, t) => acts[t], h, null);
    // One reward-head pass over all N·H imagined states (the start state's reward is not the plan's).
    const f = tf.reshape(tf.slice(features, [1, 0, 0], [h, n, -1]), [h * n, -1]) as tf.Tensor2D;
    return tf.sum(tf.reshape(wm.reward(f), [h, n]), 0) as tf.Tensor1D;
  });
}

export function cemPlan(wm: LatentWorldModel, state: LatentState, opts: CemOptions, seedBase: number): CemResult {
  const A = wm.actionDim;
  const { horizon: H, candidates: N, topK: K, iterations } = opts;
  const low = opts.low ?? Array.from({ length: A }, () => -1);
  const high = opts.high ?? Array.from({ length: A }, () => 1);
  const lowT = tf.tensor1d(low);
  const highT = tf.tensor1d(high);
  let mean: tf.Tensor = tf.zeros([H, A]);
  let std: tf.Tensor = tf.ones([H, A]);
  for (let it = 0; it < iterations; it++) {
    const next = tf.tidy(() => {
      const eps = tf.randomNormal([N, H, A], 0, 1, 'float32', tfSeed(seedBase + it));
      const cand = tf.minimum(tf.maximum(tf.add(mean, tf.mul(std, eps)), lowT), highT) as tf.Tensor3D;
      const ret = sequenceReturns(wm, state, cand);
      const { indices } = tf.topk(ret, K);
      const elite = tf.gather(cand, indices);
      const m = tf.mean(elite, 0);
      const v = tf.mean(tf.square(tf.sub(elite, m)), 0);
      return { m, s: tf.sqrt(tf.add(v, 1e-6)) };
    });
    mean.dispose();
    std.dispose();
    mean = next.m;
    std = next.s;
  }
  const meanArr = mean.dataSync() as Float32Array;
  const meanSeq = tf.expandDims(mean, 0) as tf.Tensor3D;
  const retT = sequenceReturns(wm, state, meanSeq);
  const meanReturn = retT.dataSync()[0];
  tf.dispose([mean, std, lowT, highT, retT, meanSeq]);
  return { action: meanArr.slice(0, A), mean: Float32Array.from(meanArr), meanReturn };
}

/** The CEM planner as a behaviour: plans from the current belief every step (model-predictive control). */
export class CemPlanner implements Behavior {
  readonly kind = 'cem' as const;
  /** Model return of the last plan (for logs / tests). */
  lastPlanReturn = NaN;

  constructor(readonly opts: CemOptions) {}

  act(wm: LatentWorldModel, state: LatentState, seed: number | null): Float32Array {
    if (wm.actionSpace.kind !== 'box') throw new UserError('the CEM planner needs a continuous (box) action space');
    const { low, high } = wm.actionSpace;
    // Planning is deterministic given its seed; evaluation (seed null) uses a fixed one.
    const plan = cemPlan(wm, state, { ...this.opts, low, high }, seed ?? 0);
    this.lastPlanReturn = plan.meanReturn;
    return plan.action;
  }

  checkpoint(): BehaviorCheckpoint {
    return { tensors: {}, state: {} };
  }

  restore(): void {}

  dispose(): void {}
}
