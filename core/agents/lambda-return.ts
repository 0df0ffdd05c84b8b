import * as tf from '@tensorflow/tfjs-core';
import { stopGradient } from '../tensor/stop-gradient.ts';

/**
 * TD(λ) targets over an imagined trajectory, time-major ([T, N]), as Dreamer v1's `lambda_return`
 * (danijar/dreamer tools.py; the same formula in dreamerv2 common/other.py):
 *   next_t = value_{t+1} (bootstrap at the end);  R_T = bootstrap;
 *   R_t = reward_t + pcont_t · [(1 − λ) · next_t + λ · R_{t+1}]
 * λ = 1 gives the discounted Monte-Carlo return, λ = 0 the one-step TD target.
 */
export function lambdaReturn(
  reward: tf.Tensor2D,
  value: tf.Tensor2D,
  pcont: tf.Tensor2D,
  bootstrap: tf.Tensor1D,
  lambda: number,
): tf.Tensor2D {
  return tf.tidy(() => {
    const T = reward.shape[0];
    const rs = tf.unstack(reward);
    const ps = tf.unstack(pcont);
    const vs = tf.unstack(value);
    const out: tf.Tensor[] = new Array(T);
    let agg: tf.Tensor = bootstrap;
    for (let t = T - 1; t >= 0; t--) {
      const next = t + 1 < T ? vs[t + 1] : bootstrap;
      const input = tf.add(rs[t], tf.mul(tf.mul(ps[t], next), 1 - lambda));
      agg = tf.add(input, tf.mul(tf.mul(ps[t], lambda), agg));
      out[t] = agg;
    }
    return tf.stack(out) as tf.Tensor2D;
  });
}

/**
 * Loss weights of the imagined steps: the probability that the trajectory is still alive at step t,
 * w_0 = 1, w_t = Π_{k<t} pcont_k — Dreamer v1 dreamer.py `_train`: stop_gradient(cumprod(concat([1, pcont[:-1]]))),
 * relative to the pcont its returns use (DreamerV2 `WorldModel.imagine` does the same with the discount head).
 */
export function discountWeights(pcont: tf.Tensor2D): tf.Tensor2D {
  // A running product instead of tf.cumprod: Cumprod has no gradient kernel in tfjs, and the tape visits it
  // whenever pcont comes from a head the actor's imagination feeds (the result is stop-gradient either way).
  return tf.tidy(() => {
    const ps = tf.unstack(stopGradient(pcont));
    const out: tf.Tensor[] = [tf.onesLike(ps[0])];
    for (let t = 1; t < ps.length; t++) out.push(tf.mul(out[t - 1], ps[t - 1]));
    return stopGradient(tf.stack(out)) as tf.Tensor2D;
  });
}
