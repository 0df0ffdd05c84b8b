import * as tf from '@tensorflow/tfjs-core';
import { type Params, dense, initDense } from '../../nn.ts';
import { featureSize } from '../config.ts';
import type { RepresentationObjective } from './objective.ts';

/**
 * CVRL's contrastive observation model (Yusufma03/CVRL models.py ContrastiveObsModel; mission-anchors §1.7): the
 * image log-likelihood is replaced by InfoNCE between f(features) and g(embedding) over all B·T pairs of the batch,
 *   W = f(feat)·g(embed)ᵀ,  InfoNCE = mean_i (W_ii − logsumexp_j W_ij),  loss = −InfoNCE,
 * f = Dense(units, elu) → Dense(units, elu), g = Dense(obsUnits, elu) → Dense(units, elu). Every other pair of the
 * batch is a negative. No pixel decoder.
 */
export function infoNceLoss(z: tf.Tensor2D, x: tf.Tensor2D): tf.Scalar {
  const w = tf.matMul(z, x, false, true);
  const positive = tf.sum(tf.mul(w, tf.eye(w.shape[0])), 1);
  return tf.neg(tf.mean(tf.sub(positive, tf.logSumExp(w, 1)))) as tf.Scalar;
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
    const { units, obsUnits } = c.contrastive;
    initDense(params, 'contrast/f0', featureSize(c), units, rng);
    initDense(params, 'contrast/f1', units, units, rng);
    initDense(params, 'contrast/g0', embed, obsUnits, rng);
    initDense(params, 'contrast/g1', obsUnits, units, rng);
  },
  terms({ params, config, embed, feat }) {
    const [b, t] = embed.shape;
    const x = obsCritic(params, tf.reshape(embed, [b * t, -1]));
    return { contrastive: { value: infoNceLoss(stateCritic(params, feat), x), scale: config.contrastive.scale } };
  },
};
