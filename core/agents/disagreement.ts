import * as tf from '@tensorflow/tfjs-core';
import { type Activation, type Params, initMlp, mlp } from '../models/nn.ts';
import type { Rng } from '../util/rng.ts';

/**
 * Plan2Explore's ensemble (orybkin/lexa lexa/exploration.py `Plan2Explore`; mission-anchors §1.6): K heads, each
 * an MLP from the features of s_t to the mean of a unit-variance Normal over the stochastic state s_{t+offset}.
 * Parameters `ens{k}/…`.
 *   loss   = −Σ_k mean_n Σ_d ln N(target | head_k(feat), 1)                       (`_train_ensemble`)
 *   reward = scale · ln( mean_d std_k head_k(feat) )    (population std over the K heads; `_intrinsic_reward`,
 *                                                         `disag_log: True`; without the log when `log` is false)
 */
export interface EnsembleShape {
  models: number;
  layers: number;
  units: number;
  act: Activation;
}

export function initEnsemble(p: Params, s: EnsembleShape, inDim: number, outDim: number, rng: Rng): void {
  for (let k = 0; k < s.models; k++) initMlp(p, `ens${k}`, inDim, s.units, s.layers, rng, outDim);
}

/** Every head's prediction: [K, N, D]. */
export function ensemblePredict(p: Params, s: EnsembleShape, feat: tf.Tensor2D): tf.Tensor3D {
  return tf.tidy(() => {
    const preds: tf.Tensor2D[] = [];
    for (let k = 0; k < s.models; k++) preds.push(mlp(p, `ens${k}`, feat, s.layers, s.act));
    return tf.stack(preds) as tf.Tensor3D;
  });
}

/** Disagreement reward [N] of the states with these features. */
export function disagreementReward(
  p: Params,
  s: EnsembleShape,
  feat: tf.Tensor2D,
  opts: { log: boolean; scale: number },
): tf.Tensor1D {
  return tf.tidy(() => {
    const preds = ensemblePredict(p, s, feat);
    // tf.math.reduce_std over axis 0 is the population std (ddof 0), as tf.moments gives.
    const { variance } = tf.moments(preds, 0);
    const disag = tf.mean(tf.sqrt(variance), -1);
    return tf.mul(opts.log ? tf.log(disag) : disag, opts.scale) as tf.Tensor1D;
  });
}

/** The ensemble's negative log-likelihood of the targets [N, D] from the features [N, F]. */
export function ensembleLoss(p: Params, s: EnsembleShape, feat: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const preds = ensemblePredict(p, s, feat);
    const nll = tf.add(tf.mul(tf.square(tf.sub(preds, target)), 0.5), 0.5 * Math.log(2 * Math.PI));
    // Σ over dims (Independent Normal), mean over the batch, Σ over the heads.
    return tf.sum(tf.mean(tf.sum(nll, -1), -1)) as tf.Scalar;
  });
}

/**
 * Input/target pairs of the ensemble from B windows of T states flattened window-major (b·T + t): the features
 * of (b, t) with the target of (b, t + offset), t < T − offset (`_train_ensemble`: inputs[:, :-offset],
 * targets[:, offset:]). Returns the two row-index lists.
 */
export function offsetPairs(total: number, seqLength: number, offset: number): { inputs: number[]; targets: number[] } {
  const inputs: number[] = [];
  const targets: number[] = [];
  const B = Math.floor(total / seqLength);
  for (let b = 0; b < B; b++)
    for (let t = 0; t + offset < seqLength; t++) {
      inputs.push(b * seqLength + t);
      targets.push(b * seqLength + t + offset);
    }
  return { inputs, targets };
}
