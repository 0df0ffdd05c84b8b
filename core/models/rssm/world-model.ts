import * as tf from '@tensorflow/tfjs-core';
import type { RssmModelConfig } from './config.ts';
import { featureSize } from './config.ts';
import { klLoss, normalNll, bernoulliNll } from './losses.ts';
import { type Params, Adam, disposeParams } from '../nn.ts';
import { SeedStream } from './seed-stream.ts';
import { embedSize, encodeSequence, initEncoder, initMlp, mlpScalar } from './networks.ts';
import { type LossTerms, objectiveOf } from './objectives/index.ts';
import { overshootingLoss } from './overshooting.ts';
import { imageOvershootingLoss } from './image-overshooting.ts';
import { type RssmSeq, initTransition, observe, seqFeatures } from './rssm.ts';
import { Rng } from '../../util/rng.ts';

/**
 * The RSSM world model: encoder, transition (prior/posterior), the representation objective's parts (decoder, or
 * contrastive critics, or prototypes with an EMA target: objectives/), reward and continuation heads, its loss (a
 * named record of terms with scales, every term logged) and one Adam step with clip-by-global-norm and a
 * non-finite guard.
 */
/** A training batch of sequences (tensors owned by the caller). Images already scaled to [−0.5, 0.5]. */
export interface SeqBatch {
  image: tf.Tensor; // [B, T, H, W, C] (the prototype objective's B holds two views of B/2 windows)
  action: tf.Tensor3D; // [B, T, A]
  reward: tf.Tensor2D; // [B, T]
  cont: tf.Tensor2D; // [B, T] 1 − is_terminal
  isFirst: tf.Tensor2D; // [B, T] 0/1
  /** The same is_first flags on the host (overshooting mask). */
  isFirstHost: Uint8Array;
  /** [B, T, H, W] weight of each pixel in the image loss (decoder.foregroundWeight); absent = 1 everywhere. */
  pixelWeight?: tf.Tensor;
  /**
   * [H, W, C] the training episodes' mean frame scaled like `image` (decoder.foregroundMask 'either': the
   * reconstruction's own foreground is taken against it); shared by every row, so micro-batches keep it whole.
   */
  foregroundMean?: tf.Tensor3D;
}

export interface RssmModel {
  config: RssmModelConfig;
  /** Flat nn.ts parameters: enc/…, rssm/…, the objective's (dec/…, contrast/…, proto/…), reward/…, cont/…. */
  params: Params;
  /** Parameters the optimiser never touches: the prototype objective's EMA target (empty otherwise). */
  targets: Params;
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
  // At the decoder's place in the draw order, so a reconstruction model's weights are what they always were.
  objectiveOf(c).init(params, c, embedSize(c), rng);
  initMlp(params, 'reward', f, c.heads.units, c.heads.layers, rng);
  if (c.heads.cont) initMlp(params, 'cont', f, c.heads.units, c.heads.layers, rng);
  return params;
}

export function createRssmModel(c: RssmModelConfig, seed = c.train.seed): RssmModel {
  const params = initRssmParams(c, seed);
  const targets: Params = {};
  objectiveOf(c).initTargets?.(targets, params, c);
  return {
    config: c,
    params,
    targets,
    // PlaNet: Adam lr 1e-3, eps 1e-4, clip 1000; DreamerV2: eps 1e-5, clip 100 (config.ts).
    optimizer: new Adam(params, {
      lr: c.train.lr,
      eps: c.train.adamEps,
      clipNorm: c.train.clipNorm,
      lrDecay: c.train.lrDecay,
    }),
    noise: new SeedStream(seed + 1),
  };
}

export function disposeRssmModel(m: RssmModel): void {
  disposeParams(m.params);
  disposeParams(m.targets);
  m.optimizer.dispose();
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

export interface ModelLoss {
  model_loss: tf.Scalar;
  /** Every term's value by `<name>_loss` (unscaled), plus the raw mean KL(post ‖ prior) as `kl` (nats). */
  metrics: Record<string, tf.Scalar>;
}

/**
 * The loss terms of one batch as a named record (PlaNet compute_objectives / DreamerV2 WorldModel.loss /
 * DreamerV3 `losses` with `loss_scales`): the objective's terms, then reward, continuation, KL, latent and image
 * overshooting;
 * model_loss = Σ scale·value, each value averaged over B·T.
 */
export function computeLosses(
  p: Params,
  c: RssmModelConfig,
  batch: SeqBatch,
  seeds: SeedStream | null,
  targets: Params = {},
  updates = 0,
  onPosterior?: (post: RssmSeq) => void,
): ModelLoss {
  const L = c.loss;
  const embed = encodeSequence(p, c, batch.image);
  const { post, prior } = observe(p, c, embed, batch.action, batch.isFirst, seeds);
  const feat = seqFeatures(post);
  onPosterior?.(post);
  const n = feat.shape[0];
  const terms: LossTerms = objectiveOf(c).terms({
    params: p,
    targets,
    config: c,
    batch,
    embed,
    feat,
    post,
    prior,
    seeds,
    updates,
  });
  terms.reward = {
    value: tf.mean(normalNll(mlpScalar(p, 'reward', c, feat), tf.reshape(batch.reward, [n]))) as tf.Scalar,
    scale: L.rewardScale,
  };
  terms.cont = {
    value: (c.heads.cont
      ? tf.mean(bernoulliNll(mlpScalar(p, 'cont', c, feat), tf.reshape(batch.cont, [n])))
      : tf.scalar(0)) as tf.Scalar,
    scale: L.contScale,
  };
  const { loss: kl_loss, kl } = klLoss(post.dist, prior.dist, {
    freeNats: L.freeNats,
    placement: L.freeNatsPlacement,
    balance: L.klBalance,
  });
  terms.kl = { value: kl_loss, scale: L.klScale };
  terms.overshooting = {
    value:
      L.overshooting.distance > 0 && L.overshooting.scale > 0
        ? overshootingLoss(p, c, post, batch.action, batch.isFirstHost, seeds).loss
        : tf.scalar(0),
    scale: L.overshooting.scale,
  };
  const io = L.imageOvershooting;
  terms.image_overshooting = {
    value:
      io.distance > 0 && io.scale > 0 && updates >= io.start
        ? imageOvershootingLoss(p, c, post, batch).loss
        : tf.scalar(0),
    scale: io.scale,
  };
  const names = Object.keys(terms);
  const model_loss = tf.addN(names.map((k) => tf.mul(terms[k].value, terms[k].scale))) as tf.Scalar;
  const metrics: Record<string, tf.Scalar> = { kl };
  for (const k of names) metrics[`${k}_loss`] = terms[k].value;
  return { model_loss, metrics };
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
    ...(b.pixelWeight ? { pixelWeight: cut(b.pixelWeight) } : {}),
    ...(b.foregroundMean ? { foregroundMean: b.foregroundMean } : {}),
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
  const objective = objectiveOf(m.config);
  objective.beforeStep?.(m.params, m.config);
  const updates = m.optimizer.t;
  const lr = m.optimizer.lr;
  const lossOf = (b: () => SeqBatch, first: boolean) => () => {
    const { model_loss, metrics } = computeLosses(
      m.params,
      m.config,
      b(),
      m.noise,
      m.targets,
      updates,
      first ? onPosterior : undefined,
    );
    return { loss: model_loss, metrics };
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
  if (r.applied) objective.afterUpdate?.(m.params, m.targets, m.config, updates);
  return {
    // The decayed lr is reported so a run's curves show where the schedule stands.
    metrics: { model_loss: r.loss, grad_norm: r.gradNorm, ...r.metrics, ...(m.config.train.lrDecay ? { lr } : {}) },
    skipped: !r.applied,
    reason: r.reason,
  };
}
