import * as tf from '@tensorflow/tfjs-core';
import { type Params, dense, initDense } from '../../nn.ts';
import { stopGradient } from '../../../tensor/stop-gradient.ts';
import { featureSize } from '../config.ts';
import type { PrototypesConfig } from './config.ts';
import { encodeSequence } from '../networks.ts';
import { drawShifts, twoShiftedViews } from './views.ts';
import type { RepresentationObjective } from './objective.ts';

/**
 * DreamerPro's prototype objective (fdeng18/dreamer-pro DreamerPro/common/nets.py `RSSM.proto_loss`, `sinkhorn`;
 * DreamerPro/dreamerv2/agent.py `WorldModel.train/ema_proj/ema_update`; mission-anchors §1.8). Two shifted views of
 * the batch; online projections obs_proj = Dense(embed), feat_proj = Dense(feat), L2-normalised; a target (EMA copy
 * of the encoder and obs_proj) is clustered onto K unit prototypes by Sinkhorn-Knopp, and
 *   swav = −½·mean Σ_k Q₂·log softmax(C·z₁/τ) − ½·mean Σ_k Q₁·log softmax(C·z₂/τ)
 *   temp = −mean Σ_k Q·log softmax(C·feat_proj/τ)
 *   norm = mean((‖obs_proj‖ − 1)²) + mean((‖feat_proj‖ − 1)²)
 * with the first warmUp time steps dropped from swav and temp. No pixel decoder.
 */
const PROTOTYPES = 'proto/prototypes';
/** Online weights the target follows (the encoder and the observation projection). */
const tracked = (params: Params) =>
  Object.keys(params).filter((k) => k.startsWith('enc/') || k.startsWith('proto/obs_proj/'));

/** Rows scaled to unit L2 norm (tf.math.l2_normalize: x / sqrt(max(Σx², 1e-12))). */
export function l2Normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x), -1, true), 1e-12)));
}

/**
 * Sinkhorn-Knopp in the log domain on scores [K, N] (the reference's `sinkhorn`): Q ∝ exp(scores/ε) over all
 * entries, then `iters` rounds of rows to 1/K and columns to 1/N; returned as N·Q, so each column (sample) sums to 1.
 */
export function sinkhorn(scores: tf.Tensor2D, eps: number, iters: number): tf.Tensor2D {
  return tf.tidy(() => {
    const [K, N] = scores.shape;
    let logQ = tf.reshape(tf.logSoftmax(tf.reshape(tf.div(scores, eps), [1, K * N])), [K, N]) as tf.Tensor2D;
    for (let i = 0; i < iters; i++) {
      logQ = tf.sub(tf.sub(logQ, tf.logSumExp(logQ, 1, true)), Math.log(K));
      logQ = tf.sub(tf.sub(logQ, tf.logSumExp(logQ, 0, true)), Math.log(N));
    }
    return tf.exp(tf.add(logQ, Math.log(N))) as tf.Tensor2D;
  });
}

/** target ← mix·online + (1 − mix)·target for every tracked weight (`ema_update`). */
export function emaUpdate(targets: Params, params: Params, mix: number): void {
  tf.tidy(() => {
    for (const k of Object.keys(targets))
      targets[k].assign(tf.add(tf.mul(params[k], mix), tf.mul(targets[k], 1 - mix)));
  });
}

/**
 * The three losses from the raw projections (rows b·T + t of 2B sequences: view 1 then view 2 of the same windows):
 * obsRaw and featRaw [2B·T, D] before normalisation, the target's unit projections ema [2B·T, D], prototypes C [K, D].
 */
export function protoLosses(
  obsRaw: tf.Tensor2D,
  featRaw: tf.Tensor2D,
  ema: tf.Tensor2D,
  C: tf.Tensor2D,
  B2: number,
  T: number,
  P: Pick<PrototypesConfig, 'temperature' | 'sinkhornEps' | 'sinkhornIters' | 'warmUp'>,
): { swav: tf.Scalar; temp: tf.Scalar; norm: tf.Scalar } {
  const B = B2 / 2;
  const W = P.warmUp;
  const Tw = T - W;
  const K = C.shape[0];
  /** Unit rows [2B·T, D] → scores C·z over prototypes with the warm-up dropped: [2B, Tw, K]. */
  const scores = (z: tf.Tensor2D) =>
    tf.slice(tf.reshape(tf.matMul(z, C, false, true), [B2, T, K]), [0, W, 0], [-1, Tw, -1]);
  const logits = (z: tf.Tensor2D) => tf.logSoftmax(tf.div(scores(z), P.temperature)) as tf.Tensor3D;
  const emaScores = scores(ema);
  /** Sinkhorn over one view's B·Tw samples (the reference clusters each view separately). */
  const assign = (v: number) => {
    const sv = tf.reshape(tf.slice(emaScores, [v * B, 0, 0], [B, -1, -1]), [B * Tw, K]);
    const q = sinkhorn(tf.transpose(sv) as tf.Tensor2D, P.sinkhornEps, P.sinkhornIters);
    return stopGradient(tf.reshape(tf.transpose(q), [B, Tw, K]));
  };
  const q1 = assign(0);
  const q2 = assign(1);
  const obsLogits = logits(l2Normalize(obsRaw));
  const ol1 = tf.slice(obsLogits, [0, 0, 0], [B, -1, -1]);
  const ol2 = tf.slice(obsLogits, [B, 0, 0], [B, -1, -1]);
  const ce = (q: tf.Tensor, l: tf.Tensor) => tf.neg(tf.mean(tf.sum(tf.mul(q, l), -1))) as tf.Scalar;
  const swav = tf.add(tf.mul(ce(q2, ol1), 0.5), tf.mul(ce(q1, ol2), 0.5)) as tf.Scalar;
  const temp = ce(tf.concat([q1, q2], 0), logits(l2Normalize(featRaw)));
  const normDev = (x: tf.Tensor2D) => tf.mean(tf.square(tf.sub(tf.norm(x, 'euclidean', -1), 1)));
  const norm = tf.add(normDev(obsRaw), normDev(featRaw)) as tf.Scalar;
  return { swav, temp, norm };
}

export const prototypes: RepresentationObjective = {
  kind: 'prototypes',
  decodesPixels: false,
  init(params, c, embed, rng) {
    const { count, dim } = c.prototypes;
    initDense(params, 'proto/obs_proj', embed, dim, rng);
    initDense(params, 'proto/feat_proj', featureSize(c), dim, rng);
    // RandomNormal(0, 1) as the reference, re-normalised before every use.
    const v = new Float32Array(count * dim);
    for (let i = 0; i < v.length; i++) v[i] = rng.normal();
    const init = tf.tensor2d(v, [count, dim]);
    params[PROTOTYPES] = tf.variable(init, true);
    init.dispose();
  },
  initTargets(targets, params) {
    // The reference's update 0 copies the online weights (mix 1); starting from that copy changes nothing after it.
    for (const k of tracked(params)) targets[k] = tf.tidy(() => tf.variable(params[k].clone(), false));
  },
  views(a, c, rng) {
    return twoShiftedViews(a, c.image.size, drawShifts(2 * a.B, c.prototypes.maxShift, rng));
  },
  beforeStep(params) {
    tf.tidy(() => params[PROTOTYPES].assign(l2Normalize(params[PROTOTYPES] as tf.Tensor2D)));
  },
  afterUpdate(params, targets, c, updates) {
    emaUpdate(targets, params, updates === 0 ? 1 : c.prototypes.emaFraction);
  },
  terms({ params, targets, config, batch, embed, feat, updates }) {
    const P = config.prototypes;
    const [B2, T] = embed.shape;
    // Frozen prototypes get a zero gradient, as the reference zeroes theirs for freeze_prototypes_iters updates.
    const proto = params[PROTOTYPES] as tf.Tensor2D;
    const C = updates < P.freezeIters ? stopGradient(proto) : proto;
    const obsRaw = dense(params, 'proto/obs_proj', tf.reshape(embed, [B2 * T, -1]));
    const featRaw = dense(params, 'proto/feat_proj', feat);
    // Target: EMA encoder and projection on the same views, no gradient (its weights are not in the optimiser).
    const emaEmbed = encodeSequence(targets, config, batch.image);
    const ema = stopGradient(l2Normalize(dense(targets, 'proto/obs_proj', tf.reshape(emaEmbed, [B2 * T, -1]))));
    const { swav, temp, norm } = protoLosses(obsRaw, featRaw, ema, C, B2, T, P);
    return {
      swav: { value: swav, scale: P.swavScale },
      temp: { value: temp, scale: P.tempScale },
      norm: { value: norm, scale: P.normScale },
    };
  },
};
