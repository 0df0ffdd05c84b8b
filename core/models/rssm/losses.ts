import * as tf from '@tensorflow/tfjs-core';
import { type LatentDist, klDivergence, stopDist } from './distributions.ts';
import { stopGradient } from '../../tensor/stop-gradient.ts';
import { FOREGROUND_THRESHOLD } from '../../media/foreground.ts';

/**
 * RSSM loss terms (mission-anchors §1.0, §1.2, §1.4). Each returns per-element values or a scalar so the
 * caller can log every term separately.
 */
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * −ln Normal(target | mean, 1) summed over H·W·C: ½·SSE + ½·HWC·ln 2π per image (PlaNet conv_ha, Dreamer
 * ConvDecoder). [N] With `weight` ([N, H, W, 1], broadcast over channels) each squared error is multiplied by
 * its pixel's weight first: ½·Σ w·(x − y)² + the same constant (decoder.foregroundWeight; 1 everywhere = the papers).
 */
export function imageNll(mean: tf.Tensor, target: tf.Tensor, weight?: tf.Tensor): tf.Tensor1D {
  const n = mean.shape[0];
  const pixels = mean.size / n;
  const sq = tf.square(tf.sub(mean, target));
  const sse = tf.sum(tf.reshape(weight ? tf.mul(sq, weight) : sq, [n, pixels]), -1);
  return tf.add(tf.mul(sse, 0.5), pixels * HALF_LOG_2PI) as tf.Tensor1D;
}

/**
 * decoder.foregroundMask 'either': the weight `w` where the target's weight already is (its foreground) or where
 * the stopped-gradient reconstruction differs from the mean frame by more than FOREGROUND_THRESHOLD in any
 * channel (media/foreground.ts's mask, applied to the prediction), 1 elsewhere:
 *   max(targetWeight, 1 + (w − 1)·[any_c |sg(x̂) − m| > 0.1]).
 * recon [N, H, W, C] and mean [H, W, C] on the same scale (pixels in [0, 1] shifted by −0.5); targetWeight
 * [N, H, W, 1]. Returns [N, H, W, 1]; no gradient flows through the mask.
 */
export function eitherForegroundWeight(
  recon: tf.Tensor,
  mean: tf.Tensor,
  targetWeight: tf.Tensor,
  w: number,
): tf.Tensor {
  return tf.tidy(() => {
    const off = tf.max(tf.abs(tf.sub(stopGradient(recon), mean)), -1, true);
    const predicted = tf.cast(tf.greater(off, FOREGROUND_THRESHOLD), 'float32');
    return tf.maximum(stopGradient(targetWeight), tf.add(tf.mul(predicted, w - 1), 1));
  });
}

/** −ln Normal(target | mean, 1) per element (reward head; Dreamer 'mse' DistLayer). */
export function normalNll(mean: tf.Tensor, target: tf.Tensor): tf.Tensor {
  return tf.add(tf.mul(tf.square(tf.sub(mean, target)), 0.5), HALF_LOG_2PI);
}

/** −ln Bernoulli(target | sigmoid(logits)) per element = softplus(l) − t·l (continuation head). */
export function bernoulliNll(logits: tf.Tensor, target: tf.Tensor): tf.Tensor {
  return tf.sub(tf.softplus(logits), tf.mul(target, logits));
}

/** Σ mask·x / max(Σ mask, 1); mean when no mask. */
export function maskedMean(x: tf.Tensor, mask?: tf.Tensor): tf.Scalar {
  if (!mask) return tf.mean(x);
  return tf.div(tf.sum(tf.mul(x, mask)), tf.maximum(tf.sum(mask), 1));
}

export type FreeNatsPlacement = 'element' | 'mean';

/**
 * Free nats: 'element' → mean(max(KL, free)) per (batch, time) element (PlaNet: max(0, KL − 3), the same up to
 * the constant 3); 'mean' → max(mean KL, free) (Dreamer v1 `max(mean KL, 3)`, DreamerV2 free_avg). The clamp
 * removes the gradient wherever KL is below the floor.
 */
export function freeNats(kl: tf.Tensor, free: number, placement: FreeNatsPlacement, mask?: tf.Tensor): tf.Scalar {
  if (placement === 'element') return maskedMean(tf.maximum(kl, free), mask);
  return tf.maximum(maskedMean(kl, mask), free) as tf.Scalar;
}

export interface KlOptions {
  freeNats: number;
  placement: FreeNatsPlacement;
  /** α; null = unbalanced KL(q ‖ p). */
  balance: number | null;
}

/**
 * KL(post ‖ prior) with free nats and optional KL balancing (dreamerv2 nets.py EnsembleRSSM.kl_loss, forward False):
 *   α·free(KL(sg(q) ‖ p)) + (1 − α)·free(KL(q ‖ sg(p)))
 * so the prior receives α of the gradient and the posterior 1 − α. Returns the loss and the raw mean KL (for logs).
 */
export function klLoss(
  post: LatentDist,
  prior: LatentDist,
  o: KlOptions,
  mask?: tf.Tensor,
): { loss: tf.Scalar; kl: tf.Scalar } {
  const raw = klDivergence(post, prior);
  const kl = maskedMean(raw, mask);
  if (o.balance === null) return { loss: freeNats(raw, o.freeNats, o.placement, mask), kl };
  const lhs = freeNats(klDivergence(stopDist(post), prior), o.freeNats, o.placement, mask);
  const rhs = freeNats(klDivergence(post, stopDist(prior)), o.freeNats, o.placement, mask);
  return { loss: tf.add(tf.mul(lhs, o.balance), tf.mul(rhs, 1 - o.balance)), kl };
}
