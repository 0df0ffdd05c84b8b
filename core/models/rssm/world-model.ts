import * as tf from '@tensorflow/tfjs-core';
import type { RssmModelConfig } from './config.ts';
import { featureSize } from './config.ts';
import { klLoss, imageNll, normalNll, bernoulliNll } from './losses.ts';
import { type Params, Adam, disposeParams } from '../nn.ts';
import { SeedStream } from './seed-stream.ts';
import { decode, embedSize, encodeSequence, initDecoder, initEncoder, initMlp, mlpScalar } from './networks.ts';
import { overshootingLoss } from './overshooting.ts';
import { type RssmSeq, initTransition, observe, seqFeatures } from './rssm.ts';
import { Rng } from '../../util/rng.ts';

/**
 * The RSSM world model: encoder, transition (prior/posterior), decoder, reward and continuation heads, its loss
 * (every term logged separately) and one Adam step with clip-by-global-norm and a non-finite guard.
 */
/** A training batch of sequences (tensors owned by the caller). Images already scaled to [−0.5, 0.5]. */
export interface SeqBatch {
  image: tf.Tensor; // [B, T, H, W, C]
  action: tf.Tensor3D; // [B, T, A]
  reward: tf.Tensor2D; // [B, T]
  cont: tf.Tensor2D; // [B, T] 1 − is_terminal
  isFirst: tf.Tensor2D; // [B, T] 0/1
  /** The same is_first flags on the host (overshooting mask). */
  isFirstHost: Uint8Array;
}

export interface RssmModel {
  config: RssmModelConfig;
  /** Flat nn.ts parameters: enc/…, rssm/…, dec/…, reward/…, cont/…. */
  params: Params;
  optimizer: Adam;
  /** Noise seeds for training samples (advanced deterministically; saved with checkpoints). */
  noise: SeedStream;
}

export function initRssmParams(c: RssmModelConfig, seed: number): Params {
  const rng = new Rng(seed);
  const params: Params = {};
  const f = featureSize(c);
  initEncoder(params, c, rng);
  initTransition(params, c, embedSize(c), rng);
  initDecoder(params, c, rng);
  initMlp(params, 'reward', f, c.heads.units, c.heads.layers, rng);
  if (c.heads.cont) initMlp(params, 'cont', f, c.heads.units, c.heads.layers, rng);
  return params;
}

export function createRssmModel(c: RssmModelConfig, seed = c.train.seed): RssmModel {
  const params = initRssmParams(c, seed);
  return {
    config: c,
    params,
    // PlaNet: Adam lr 1e-3, eps 1e-4, clip 1000; DreamerV2: eps 1e-5, clip 100 (config.ts).
    optimizer: new Adam(params, { lr: c.train.lr, eps: c.train.adamEps, clipNorm: c.train.clipNorm }),
    noise: new SeedStream(seed + 1),
  };
}

export function disposeRssmModel(m: RssmModel): void {
  disposeParams(m.params);
  m.optimizer.dispose();
}

export interface LossTerms {
  model_loss: tf.Scalar;
  image_loss: tf.Scalar;
  reward_loss: tf.Scalar;
  cont_loss: tf.Scalar;
  kl_loss: tf.Scalar;
  /** Raw mean KL(post ‖ prior) (nats). */
  kl: tf.Scalar;
  overshooting_loss: tf.Scalar;
}

export interface ObserveOut {
  post: RssmSeq;
  prior: RssmSeq;
  feat: tf.Tensor2D;
}

/** Encodes and observes a batch; features [B·T, F]. */
export function observeBatch(p: Params, c: RssmModelConfig, batch: SeqBatch, seeds: SeedStream | null): ObserveOut {
  const embed = encodeSequence(p, c, batch.image);
  const { post, prior } = observe(p, c, embed, batch.action, batch.isFirst, seeds);
  return { post, prior, feat: seqFeatures(post) };
}

/** All loss terms for one batch (PlaNet compute_objectives / DreamerV2 WorldModel.loss), averaged over B·T. */
export function computeLosses(
  p: Params,
  c: RssmModelConfig,
  batch: SeqBatch,
  seeds: SeedStream | null,
  onPosterior?: (post: RssmSeq) => void,
): LossTerms {
  const L = c.loss;
  const { post, prior, feat } = observeBatch(p, c, batch, seeds);
  onPosterior?.(post);
  const n = feat.shape[0];
  // Decoder and heads over all B·T features at once.
  const recon = decode(p, c, feat);
  const target = tf.reshape(batch.image, recon.shape);
  const image_loss = tf.mean(imageNll(recon, target)) as tf.Scalar;
  const reward_loss = tf.mean(normalNll(mlpScalar(p, 'reward', c, feat), tf.reshape(batch.reward, [n]))) as tf.Scalar;
  const cont_loss = (
    c.heads.cont ? tf.mean(bernoulliNll(mlpScalar(p, 'cont', c, feat), tf.reshape(batch.cont, [n]))) : tf.scalar(0)
  ) as tf.Scalar;
  const { loss: kl_loss, kl } = klLoss(post.dist, prior.dist, {
    freeNats: L.freeNats,
    placement: L.freeNatsPlacement,
    balance: L.klBalance,
  });
  const overshooting_loss =
    L.overshooting.distance > 0 && L.overshooting.scale > 0
      ? overshootingLoss(p, c, post, batch.action, batch.isFirstHost, seeds).loss
      : tf.scalar(0);
  const model_loss = tf.addN([
    tf.mul(image_loss, L.imageScale),
    tf.mul(reward_loss, L.rewardScale),
    tf.mul(cont_loss, L.contScale),
    tf.mul(kl_loss, L.klScale),
    tf.mul(overshooting_loss, L.overshooting.scale),
  ]) as tf.Scalar;
  return { model_loss, image_loss, reward_loss, cont_loss, kl_loss, kl, overshooting_loss };
}

export interface TrainStepResult {
  metrics: Record<string, number>;
  /** The loss or gradient was not finite and no update was applied (nn.ts Adam's divergence guard). */
  skipped: boolean;
  reason?: string;
}

/** Rows [from, from + n) of a batch (a micro-batch). */
export function batchRows(b: SeqBatch, from: number, n: number): SeqBatch {
  const L = b.isFirst.shape[1];
  const cut = <X extends tf.Tensor>(x: X) => tf.slice(x, [from], [n]) as X;
  return {
    image: cut(b.image),
    action: cut(b.action),
    reward: cut(b.reward),
    cont: cut(b.cont),
    isFirst: cut(b.isFirst),
    isFirstHost: b.isFirstHost.subarray(from * L, (from + n) * L),
  };
}

/**
 * One model update: gradients of model_loss, clip by global norm, Adam (nn.ts); keeps numTensors flat.
 * `microBatches` > 1 accumulates the gradient over that many parts of the batch (Adam.stepAccumulated,
 * weights = share of the batch) so a batch too big for the heap still trains; the losses are means over
 * (batch, time), so the update equals the full-batch one up to the latent noise drawn per part and to
 * batch-mean clamps (free nats 'mean' placement). `onPosterior` sees the posterior states before the update
 * (tf.keep what it holds on to) — of the first micro-batch only, so a holder is called once per step.
 */
export function trainStep(
  m: RssmModel,
  batch: SeqBatch,
  poison = false,
  microBatches = 1,
  onPosterior?: (post: RssmSeq) => void,
): TrainStepResult {
  const lossOf = (b: () => SeqBatch, first: boolean) => () => {
    const terms = computeLosses(m.params, m.config, b(), m.noise, first ? onPosterior : undefined);
    const { model_loss, ...rest } = terms;
    return { loss: model_loss, metrics: rest as unknown as Record<string, tf.Scalar> };
  };
  const B = batch.isFirst.shape[0];
  const k = Math.min(Math.max(1, Math.floor(microBatches)), B);
  const r =
    k === 1
      ? m.optimizer.step(
          lossOf(() => batch, true),
          poison,
        )
      : m.optimizer.stepAccumulated(
          Array.from({ length: k }, (_, i) => {
            const from = Math.floor((i * B) / k);
            const n = Math.floor(((i + 1) * B) / k) - from;
            return { weight: n / B, loss: lossOf(() => batchRows(batch, from, n), i === 0) };
          }),
          poison,
        );
  return {
    metrics: { model_loss: r.loss, grad_norm: r.gradNorm, ...r.metrics },
    skipped: !r.applied,
    reason: r.reason,
  };
}
