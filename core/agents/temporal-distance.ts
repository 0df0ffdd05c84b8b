import * as tf from '@tensorflow/tfjs-core';
import { type Activation, type Params, initMlp, mlp } from '../models/nn.ts';
import type { Rng } from '../util/rng.ts';

/**
 * LEXA's temporal distance (orybkin/lexa lexa/gcdreamer_imag.py `get_dynamical_distance_loss`, tools.py
 * `get_future_goal_idxs`, `get_future_goal_idxs_neg_sampling`; mission-anchors §1.6). Imagined data is
 * time-major, L states × M trajectories (L = the horizon: the states before each imagined step, start
 * included). A network D([x_cur, x_goal]) → scalar regresses
 *   positives: pairs (i, b) → (j, b), j ≥ i, of the same trajectory, label (j − i) / L     (dd_norm_reg_label)
 *   negatives: (i, b) → (j, b') with b' from another replay window (b' div W ≠ b div W, W = the window length:
 *              trajectories started from the same window are not negatives), label L / L = 1
 * with a mean squared error for each set (the two means summed). The achiever's reward is −D([x_t, x_goal]).
 * Parameters `dd/…`.
 */

/** Every (cur, goal) index pair of the grid, in the reference's order: for i, for j ≥ i, for b. Each is [t, b]. */
export function futureGoalIdxs(seqLen: number, bs: number): { cur: [number, number][]; goal: [number, number][] } {
  const cur: [number, number][] = [];
  const goal: [number, number][] = [];
  for (let i = 0; i < seqLen; i++)
    for (let j = i; j < seqLen; j++)
      for (let b = 0; b < bs; b++) {
        cur.push([i, b]);
        goal.push([j, b]);
      }
  return { cur, goal };
}

export interface DistancePairs {
  /** Row indices into the time-major flattened data (t·M + b). */
  cur: number[];
  goal: number[];
  /** Normalised steps-to-go. */
  label: number[];
  positives: number;
}

/**
 * The training pairs of one update: `positives` drawn uniformly (with replacement) from the grid, then
 * ⌊negFactor · positives⌋ negatives. `window` = trajectories per replay window (the start states' T).
 */
export function distancePairs(
  seqLen: number,
  bs: number,
  window: number,
  positives: number,
  negFactor: number,
  rng: Rng,
  /** Grid entries to use as the positives instead of random ones (tests against the reference's draw). */
  chosen?: number[],
): DistancePairs {
  const grid = futureGoalIdxs(seqLen, bs);
  const out: DistancePairs = { cur: [], goal: [], label: [], positives };
  for (let k = 0; k < positives; k++) {
    const i = chosen ? chosen[k] : rng.int(grid.cur.length);
    const [tc, b] = grid.cur[i];
    const [tg] = grid.goal[i];
    out.cur.push(tc * bs + b);
    out.goal.push(tg * bs + b);
    out.label.push((tg - tc) / seqLen);
  }
  const negs = Math.floor(negFactor * positives);
  const groups = Math.ceil(bs / window);
  for (let k = 0; k < negs && groups > 1; k++) {
    const tc = rng.int(seqLen);
    const b = rng.int(bs);
    const tg = rng.int(seqLen);
    let b2 = rng.int(bs);
    while (Math.floor(b2 / window) === Math.floor(b / window)) b2 = rng.int(bs);
    out.cur.push(tc * bs + b);
    out.goal.push(tg * bs + b2);
    out.label.push(seqLen / seqLen);
  }
  return out;
}

export interface DistanceNet {
  layers: number;
  units: number;
  act: Activation;
}

export function initDistance(p: Params, s: DistanceNet, inDim: number, rng: Rng): void {
  initMlp(p, 'dd', 2 * inDim, s.units, s.layers, rng, 1);
}

/** D([x, goal]) for rows x [N, D], goal [N, D]: [N]. */
export function distance(p: Params, s: DistanceNet, x: tf.Tensor2D, goal: tf.Tensor2D): tf.Tensor1D {
  return tf.reshape(mlp(p, 'dd', tf.concat([x, goal], -1) as tf.Tensor2D, s.layers, s.act), [-1]);
}

/** The regression loss on `data` [L·M, D] (time-major): mean squared error of positives plus of negatives. */
export function distanceLoss(p: Params, s: DistanceNet, data: tf.Tensor2D, pairs: DistancePairs): tf.Scalar {
  return tf.tidy(() => {
    const pred = distance(
      p,
      s,
      tf.gather(data, tf.tensor1d(pairs.cur, 'int32')),
      tf.gather(data, tf.tensor1d(pairs.goal, 'int32')),
    );
    const err = tf.square(tf.sub(tf.tensor1d(pairs.label), pred));
    const n = pairs.positives;
    const pos = tf.mean(tf.slice(err, [0], [n]));
    const m = pairs.label.length - n;
    return (m > 0 ? tf.add(pos, tf.mean(tf.slice(err, [n], [m]))) : pos) as tf.Scalar;
  });
}
