import * as tf from '@tensorflow/tfjs-core';
import type { LatentState, LatentWorldModel } from '../models/latent-world-model.ts';
import { UserError } from '../util/errors.ts';
import type { Rng } from '../util/rng.ts';

/**
 * Goal-reaching by the cross-entropy method over DISCRETE action sequences (issue 16: plan toward a goal frame
 * with C-SWM, whose energy between a predicted state and the goal's encoding is the cost). Each of the H steps
 * has a categorical distribution over the n actions, uniform at first; N sequences are sampled, rolled through
 * the model from the current state, and scored by the closest they come to the goal, min over t = 1…H of
 * ‖f_t − f_goal‖². C-SWM's energy d = ½σ⁻²·(1/K)·Σ_k‖z_k − z'_k‖² is that squared distance times a positive
 * constant, so it ranks the sequences identically. The K best (elites) refit each step's categorical to their
 * action frequencies; repeat. Model-predictive control: the caller executes the first action and plans again.
 */
export interface GoalCemOptions {
  horizon: number;
  candidates: number;
  topK: number;
  iterations: number;
}

export const GOAL_CEM_DEFAULTS: GoalCemOptions = { horizon: 6, candidates: 200, topK: 20, iterations: 4 };

export interface GoalPlan {
  /** Action index to take now. */
  action: number;
  /** The best sequence found (action indices) and its cost (squared feature distance to the goal). */
  sequence: number[];
  cost: number;
}

/** Squared distance of every imagined state to the goal, min over steps 1…H: [N] (host). */
function sequenceCosts(
  wm: LatentWorldModel,
  state: LatentState,
  goal: tf.Tensor2D,
  seqs: Int32Array[],
  H: number,
): Float32Array {
  const n = wm.actionDim;
  const N = seqs.length;
  const cost = tf.tidy(() => {
    const start: LatentState = {};
    for (const [k, v] of Object.entries(state)) start[k] = tf.tile(v, [N, ...v.shape.slice(1).map(() => 1)]);
    const acts: tf.Tensor2D[] = [];
    for (let t = 0; t < H; t++) {
      const a = new Float32Array(N * n);
      for (let i = 0; i < N; i++) a[i * n + seqs[i][t]] = 1;
      acts.push(tf.tensor2d(a, [N, n]));
    }
    const im = wm.imagine(start, (_f, t) => acts[t], H, null);
    const f = tf.slice(im.features, [1, 0, 0], [H, N, -1]); // [H, N, F]
    const d = tf.sum(tf.square(tf.sub(f, tf.expandDims(goal, 0))), 2); // [H, N]
    wm.disposeState(im.last);
    return tf.min(d, 0);
  });
  const out = cost.dataSync() as Float32Array;
  cost.dispose();
  return out;
}

/** One plan from a state ([1, …]) toward the goal's features ([1, F]). */
export function goalCemPlan(
  wm: LatentWorldModel,
  state: LatentState,
  goal: tf.Tensor2D,
  opts: GoalCemOptions,
  rng: Rng,
): GoalPlan {
  if (wm.actionSpace.kind !== 'discrete')
    throw new UserError('the goal CEM planner needs a discrete action space (it plans over action indices)');
  const n = wm.actionSpace.n;
  const { horizon: H, candidates: N, topK: K, iterations } = opts;
  let probs = Array.from({ length: H }, () => new Float64Array(n).fill(1 / n));
  let best: GoalPlan = { action: 0, sequence: [], cost: Infinity };
  for (let it = 0; it < iterations; it++) {
    const seqs = Array.from({ length: N }, () => {
      const s = new Int32Array(H);
      for (let t = 0; t < H; t++) {
        let u = rng.next();
        let a = 0;
        while (a < n - 1 && u >= probs[t][a]) u -= probs[t][a++];
        s[t] = a;
      }
      return s;
    });
    const cost = sequenceCosts(wm, state, goal, seqs, H);
    const order = Array.from({ length: N }, (_, i) => i).sort((a, b) => cost[a] - cost[b]);
    if (cost[order[0]] < best.cost)
      best = { action: seqs[order[0]][0], sequence: Array.from(seqs[order[0]]), cost: cost[order[0]] };
    probs = Array.from({ length: H }, (_, t) => {
      const p = new Float64Array(n);
      for (let e = 0; e < K; e++) p[seqs[order[e]][t]] += 1 / K;
      return p;
    });
  }
  return best;
}
