import * as tf from '@tensorflow/tfjs-core';
import type { Params } from '../models/nn.ts';
import type { RssmModelConfig } from '../models/rssm/config.ts';
import { mlpScalar } from '../models/rssm/networks.ts';
import type { SeedStream } from '../models/rssm/seed-stream.ts';
import { imgStep, features } from '../models/rssm/rssm.ts';

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
 * Predicted returns of N action sequences [N, H, A] from one belief state (deter [1, D], stoch [1, S]).
 * The prior's mean (mode) is rolled, as PlaNet's planner rolls the prior; returns [N].
 */
export function sequenceReturns(
  p: Params,
  c: RssmModelConfig,
  state: { deter: tf.Tensor; stoch: tf.Tensor },
  actions: tf.Tensor3D,
  seeds: SeedStream | null = null,
): tf.Tensor1D {
  return tf.tidy(() => {
    const [n, h] = actions.shape;
    let s = { deter: tf.tile(state.deter, [n, 1]), stoch: tf.tile(state.stoch, [n, 1]) };
    const acts = tf.unstack(actions, 1);
    const feats: tf.Tensor[] = [];
    for (let t = 0; t < h; t++) {
      const next = imgStep(p, c, s, acts[t], seeds);
      feats.push(features(next));
      s = next;
    }
    // One reward-head pass over all N·H imagined states.
    const r = mlpScalar(p, 'reward', c, tf.concat(feats, 0) as tf.Tensor2D);
    return tf.sum(tf.reshape(r, [h, n]), 0) as tf.Tensor1D;
  });
}

export function cemPlan(
  p: Params,
  c: RssmModelConfig,
  state: { deter: tf.Tensor; stoch: tf.Tensor },
  opts: CemOptions,
  seedBase: number,
): CemResult {
  const A = c.actionDim;
  const { horizon: H, candidates: N, topK: K, iterations } = opts;
  const low = opts.low ?? Array.from({ length: A }, () => -1);
  const high = opts.high ?? Array.from({ length: A }, () => 1);
  const lowT = tf.tensor1d(low);
  const highT = tf.tensor1d(high);
  let mean: tf.Tensor = tf.zeros([H, A]);
  let std: tf.Tensor = tf.ones([H, A]);
  for (let it = 0; it < iterations; it++) {
    const next = tf.tidy(() => {
      const eps = tf.randomNormal([N, H, A], 0, 1, 'float32', seedBase + it);
      const cand = tf.minimum(tf.maximum(tf.add(mean, tf.mul(std, eps)), lowT), highT) as tf.Tensor3D;
      const ret = sequenceReturns(p, c, state, cand);
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
  const retT = sequenceReturns(p, c, state, meanSeq);
  const meanReturn = retT.dataSync()[0];
  tf.dispose([mean, std, lowT, highT, retT, meanSeq]);
  return { action: meanArr.slice(0, A), mean: Float32Array.from(meanArr), meanReturn };
}
