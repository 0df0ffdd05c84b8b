import * as tf from '@tensorflow/tfjs-core';
import type { RssmModelConfig } from './config.ts';
import { type LatentDist, klDivergence, stopDist } from './distributions.ts';
import { freeNats } from './losses.ts';
import type { SeedStream } from './seed-stream.ts';
import { type RssmSeq, type TransitionParams, flattenSeq, imgStep } from './rssm.ts';

/**
 * Latent overshooting (PlaNet eq. 7; planet/tools/overshooting.py, utility.py 'overshooting'):
 * from every posterior state s_t run the prior d = 1..D steps under the real actions a_{t+1..t+d}, and add
 *   (1/D)·Σ_d β_d · free(KL(sg(q(s_{t+d})) ‖ p(s_{t+d} | s_t, a_{t+1..t+d})))
 * over the valid (t, d) pairs: t + d < T and no episode start in (t, t+d].
 */

/**
 * x[:, d:] followed by d rows of `pad` along time axis 1: row t holds the value at t + d. The padded rows are
 * masked out; `pad` only keeps them finite (a std of 0 would make their KL −inf·0 = NaN).
 */
export function shiftTime(x: tf.Tensor, d: number, pad = 0): tf.Tensor {
  const t = x.shape[1] as number;
  if (d === 0) return x;
  const zeros = tf.fill([x.shape[0], Math.min(d, t), ...x.shape.slice(2)], pad);
  if (d >= t) return zeros;
  const tail = tf.slice(x, [0, d], [-1, t - d]);
  return tf.concat([tail, zeros], 1);
}

/** 1 where the d-step target of start (b, t) exists and lies in the same episode, else 0. isFirst [B·T] row-major. */
export function overshootingMask(isFirst: ArrayLike<number>, b: number, t: number, d: number): Float32Array {
  const m = new Float32Array(b * t);
  for (let i = 0; i < b; i++) {
    for (let j = 0; j + d < t; j++) {
      let ok = 1;
      for (let k = j + 1; k <= j + d; k++) if (isFirst[i * t + k]) ok = 0;
      m[i * t + j] = ok;
    }
  }
  return m;
}

export function overshootingWeights(c: RssmModelConfig): number[] {
  const o = c.loss.overshooting;
  return o.weights ?? Array.from({ length: o.distance }, () => 1);
}

export interface OvershootingResult {
  loss: tf.Scalar;
  /** Raw masked mean KL per distance d = 1..D (for logs / tests). */
  klPerDistance: tf.Scalar[];
}

export function overshootingLoss(
  p: TransitionParams,
  c: RssmModelConfig,
  post: RssmSeq,
  action: tf.Tensor3D,
  isFirst: ArrayLike<number>,
  seeds: SeedStream | null,
  distance = c.loss.overshooting.distance,
): OvershootingResult {
  const [b, t] = post.deter.shape;
  const o = c.loss.overshooting;
  const weights = overshootingWeights(c);
  let state: { deter: tf.Tensor2D; stoch: tf.Tensor2D } = flattenSeq(post);
  let total: tf.Scalar = tf.scalar(0);
  const klPerDistance: tf.Scalar[] = [];
  const flat = (x: tf.Tensor) => tf.reshape(x, [b * t, ...x.shape.slice(2)]);
  for (let d = 1; d <= distance; d++) {
    const a = flat(shiftTime(action, d));
    const prior = imgStep(p, c, state, a, seeds);
    const targetSeq: LatentDist =
      post.dist.kind === 'gaussian'
        ? { kind: 'gaussian', mean: flat(shiftTime(post.dist.mean, d)), std: flat(shiftTime(post.dist.std, d, 1)) }
        : {
            kind: 'categorical',
            logits: flat(shiftTime(post.dist.logits, d, -Math.log(post.dist.logits.shape[3] as number))),
          };
    const target = o.stopPosteriorGrad ? stopDist(targetSeq) : targetSeq;
    const mask = tf.tensor1d(overshootingMask(isFirst, b, t, d));
    const kl = klDivergence(target, prior.dist);
    klPerDistance.push(tf.div(tf.sum(tf.mul(kl, mask)), tf.maximum(tf.sum(mask), 1)));
    const term = freeNats(kl, c.loss.freeNats, c.loss.freeNatsPlacement, mask);
    total = tf.add(total, tf.mul(term, weights[d - 1] ?? 1));
    state = prior;
  }
  return { loss: tf.div(total, Math.max(distance, 1)), klPerDistance };
}
