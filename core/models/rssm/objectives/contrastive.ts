import * as tf from '@tensorflow/tfjs-core';
import { type Params, dense, initDense } from '../../nn.ts';
import { featureSize } from '../config.ts';
import type { RepresentationObjective } from './objective.ts';
import type { GaussianDist } from '../distributions.ts';

/**
 * CVRL's contrastive observation model (Yusufma03/CVRL models.py ContrastiveObsModel; mission-anchors §1.7): the
 * image log-likelihood is replaced by InfoNCE between f(features) and g(embedding) over all B·T pairs of the batch,
 *   W = f(feat)·g(embed)ᵀ,  InfoNCE = mean_i (W_ii − logsumexp_j W_ij),  loss = −InfoNCE,
 * f = Dense(units, elu) → Dense(units, elu), g = Dense(obsUnits, elu) → Dense(units, elu). Every other pair of the
 * batch is a negative. No pixel decoder. With `critic: 'prior'` the score is TPC's prior density instead
 * (priorCriticLoss below) and f, g do not exist.
 */
export function infoNceLoss(z: tf.Tensor2D, x: tf.Tensor2D): tf.Scalar {
  const w = tf.matMul(z, x, false, true);
  const positive = tf.sum(tf.mul(w, tf.eye(w.shape[0])), 1);
  return tf.neg(tf.mean(tf.sub(positive, tf.logSumExp(w, 1)))) as tf.Scalar;
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * TPC's prior-density critic (Nguyen et al. 2021, "Temporal Predictive Coding for Model-Based Planning in Latent
 * Space"; fdeng18/dreamer-pro TPC/common/nets.py compute_losses; mission-anchors §1.7): at each step t the logits
 * are the log-densities W_t[b, b'] = ln N(z̄_{b',t}; μ_{b,t}, σ_{b,t}) of every sequence's perturbed posterior mean
 * z̄ under every sequence's prior (predicted from h_{b,t}), the positive on the diagonal:
 *   loss = −mean_{t ≥ warmUp, b} (W_t[b, b] − logsumexp_{b'} W_t[b, b']).
 * So the state is trained to predict which of the batch's observations comes next, with no critic network.
 * Inputs [B, T, S]; z̄ carries the gradient to the encoder and posterior, μ and σ to the transition.
 */
export function priorCriticLoss(
  zbar: tf.Tensor3D,
  priorMean: tf.Tensor3D,
  priorStd: tf.Tensor3D,
  warmUp: number,
): tf.Scalar {
  const [b, t, s] = zbar.shape;
  // [T', B, S] after dropping the warm-up steps.
  const cut = (x: tf.Tensor3D) => tf.transpose(tf.slice(x, [0, warmUp, 0], [b, t - warmUp, s]), [1, 0, 2]);
  const z = cut(zbar);
  const mu = cut(priorMean);
  const std = cut(priorStd);
  const prec = tf.reciprocal(tf.square(std));
  // Σ_s (z' − μ)²/σ² = z'²·(1/σ²) − 2 z'·(μ/σ²) + μ²·(1/σ²), as batched matmuls [T', B, B] (rows: prior b).
  const quad = tf.add(
    tf.sub(tf.matMul(prec, tf.square(z), false, true), tf.mul(tf.matMul(tf.mul(mu, prec), z, false, true), 2)),
    tf.sum(tf.mul(tf.square(mu), prec), -1, true),
  );
  const logNorm = tf.add(tf.sum(tf.log(std), -1, true), s * HALF_LOG_2PI);
  const w = tf.sub(tf.mul(quad, -0.5), logNorm);
  const positive = tf.sum(tf.mul(w, tf.eye(b)), -1);
  return tf.neg(tf.mean(tf.sub(positive, tf.logSumExp(w, -1)))) as tf.Scalar;
}

/** f(features) [N, units]. */
export function stateCritic(p: Params, feat: tf.Tensor2D): tf.Tensor2D {
  return dense(p, 'contrast/f1', dense(p, 'contrast/f0', feat, 'elu'), 'elu');
}

/** g(embedding) [N, units]. */
export function obsCritic(p: Params, embed: tf.Tensor2D): tf.Tensor2D {
  return dense(p, 'contrast/g1', dense(p, 'contrast/g0', embed, 'elu'), 'elu');
}

export const contrastive: RepresentationObjective = {
  kind: 'contrastive',
  decodesPixels: false,
  init(params, c, embed, rng) {
    const { units, obsUnits, critic } = c.contrastive;
    if (critic === 'prior') return;
    initDense(params, 'contrast/f0', featureSize(c), units, rng);
    initDense(params, 'contrast/f1', units, units, rng);
    initDense(params, 'contrast/g0', embed, obsUnits, rng);
    initDense(params, 'contrast/g1', obsUnits, units, rng);
  },
  terms({ params, config, embed, feat, post, prior, seeds }) {
    const cc = config.contrastive;
    if (cc.critic === 'prior') {
      // The config refuses 'prior' with a categorical latent (config.ts), so both are Gaussian here.
      const q = post.dist as GaussianDist;
      const p = prior.dist as GaussianDist;
      const mean = q.mean as tf.Tensor3D;
      const zbar =
        seeds && cc.perturbStd > 0
          ? tf.add(mean, tf.randomNormal(mean.shape, 0, cc.perturbStd, 'float32', seeds.next()))
          : mean;
      return {
        contrastive: {
          value: priorCriticLoss(zbar as tf.Tensor3D, p.mean as tf.Tensor3D, p.std as tf.Tensor3D, cc.warmUp),
          scale: cc.scale,
        },
      };
    }
    const [b, t] = embed.shape;
    const x = obsCritic(params, tf.reshape(embed, [b * t, -1]));
    return { contrastive: { value: infoNceLoss(stateCritic(params, feat), x), scale: cc.scale } };
  },
};
