import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../util/rng.ts';
import { Adam, glorotUniform, initDense, type OptimizerStepResult, type Params } from '../nn.ts';
import type { RnnConfig } from './config.ts';
import type { SequenceArrays } from './data.ts';
import { lstmFused } from './lstm-sequence.ts';
import { logSumExp } from '../../tensor/log-sum-exp.ts';

/**
 * MDN-RNN of World Models (WMx carracing/rnn/rnn.py): an LSTM over [z_t, a_t] and a linear head giving,
 * for every latent dimension separately, a mixture of K Gaussians over z_{t+1} (log π normalised by
 * logsumexp, μ, log σ), plus optional reward (MSE) and done (weighted BCE, WMx Doom) heads.
 * Head layout per row: [logπ (zDim·K) | μ (zDim·K) | log σ (zDim·K) | reward? | done?].
 */
export interface MdnDims {
  zDim: number;
  actionDim: number;
}

export const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

export function headSize(cfg: RnnConfig, zDim: number): number {
  return 3 * zDim * cfg.mixtures + (cfg.rewardHead ? 1 : 0) + (cfg.doneHead ? 1 : 0);
}

export function initMdnRnn(cfg: RnnConfig, dims: MdnDims, rng: Rng, prefix = 'rnn/'): Params {
  const p: Params = {};
  const inDim = dims.zDim + dims.actionDim;
  const H = cfg.hidden;
  // Gate order i, f, g, o; the forget bias starts at 1 (TF BasicLSTMCell forget_bias=1.0, used by WMx).
  // tf.variable copies its initial value: tidy frees the value (each load would otherwise leak 3 tensors).
  p[`${prefix}lstm/wx`] = tf.tidy(() => tf.variable(glorotUniform([inDim, 4 * H], inDim, 4 * H, rng)));
  p[`${prefix}lstm/wh`] = tf.tidy(() => tf.variable(glorotUniform([H, 4 * H], H, 4 * H, rng)));
  const b = new Float32Array(4 * H);
  b.fill(1, H, 2 * H);
  p[`${prefix}lstm/b`] = tf.tidy(() => tf.variable(tf.tensor1d(b)));
  initDense(p, `${prefix}head`, H, headSize(cfg, dims.zDim), rng);
  return p;
}

export interface LstmState {
  h: tf.Tensor2D;
  c: tf.Tensor2D;
}

/**
 * Runs the LSTM over x [B, T, in] from `state` (zeros if none): one fused op with a hand-written BPTT
 * (lstm-sequence.ts). The input projection x·Wx is one matmul over all B·T rows; only h·Wh is per step.
 */
export function lstmSequence(
  p: Params,
  x: tf.Tensor3D,
  state?: LstmState,
  prefix = 'rnn/',
): { hs: tf.Tensor3D; last: LstmState } {
  const [B] = x.shape;
  const wh = p[`${prefix}lstm/wh`] as tf.Tensor2D;
  const H = wh.shape[0];
  const h0 = state?.h ?? (tf.zeros([B, H]) as tf.Tensor2D);
  const c0 = state?.c ?? (tf.zeros([B, H]) as tf.Tensor2D);
  const wx = p[`${prefix}lstm/wx`] as tf.Tensor2D;
  const { hs, h, c } = lstmFused(x, wx, wh, p[`${prefix}lstm/b`] as tf.Tensor1D, h0, c0);
  return { hs, last: { h, c } };
}

export interface MdnOutputs {
  /** [N, zDim, K], normalised. */
  logpi: tf.Tensor3D;
  mu: tf.Tensor3D;
  logsigma: tf.Tensor3D;
  reward?: tf.Tensor1D;
  /** Logit of done. */
  done?: tf.Tensor1D;
}

/** The head on hidden states h [N, H]. */
export function mdnHead(p: Params, cfg: RnnConfig, zDim: number, h: tf.Tensor2D, prefix = 'rnn/'): MdnOutputs {
  const N = h.shape[0];
  const K = cfg.mixtures;
  const zk = zDim * K;
  const out = tf.add(tf.matMul(h, p[`${prefix}head/w`]), p[`${prefix}head/b`]);
  const part = (i: number) => tf.reshape(tf.slice(out, [0, i * zk], [N, zk]), [N, zDim, K]) as tf.Tensor3D;
  const logits = part(0);
  const res: MdnOutputs = { logpi: tf.sub(logits, logSumExp(logits, -1, true)), mu: part(1), logsigma: part(2) };
  let col = 3 * zk;
  if (cfg.rewardHead) res.reward = tf.reshape(tf.slice(out, [0, col++], [N, 1]), [N]) as tf.Tensor1D;
  if (cfg.doneHead) res.done = tf.reshape(tf.slice(out, [0, col++], [N, 1]), [N]) as tf.Tensor1D;
  return res;
}

/** −log Σ_k π_k N(y | μ_k, σ_k) per row and dimension: y [N, zDim] → [N, zDim]. */
export function mixtureNll(o: MdnOutputs, y: tf.Tensor2D): tf.Tensor2D {
  const yy = tf.expandDims(y, 2);
  const logN = tf.sub(
    tf.sub(tf.mul(-0.5, tf.square(tf.mul(tf.sub(yy, o.mu), tf.exp(tf.neg(o.logsigma))))), o.logsigma),
    LOG_SQRT_2PI,
  );
  return tf.neg(logSumExp(tf.add(o.logpi, logN), -1)) as tf.Tensor2D;
}

/** A training batch of B sequences of T transitions; `mask` is 0 on padding past an episode's end. */
export interface SequenceBatch {
  /** Stored encoder outputs over T+1 frames: [B, T+1, zDim] each. */
  mu: tf.Tensor3D;
  logvar: tf.Tensor3D;
  /** a_t taken at frame t (the action row t+1 in Dreamer layout): [B, T, A]. */
  action: tf.Tensor3D;
  /** Reward and done on arriving at frame t+1: [B, T]. */
  reward: tf.Tensor2D;
  done: tf.Tensor2D;
  mask: tf.Tensor2D;
}

/**
 * Teacher-forced loss: z is re-sampled from the stored μ, log σ² for this batch (WMx rnn_train.py
 * `random_batch`), inputs [z_{0:T−1}, a_{0:T−1}], targets z_{1:T}; NLL averaged over dims and valid steps.
 */
export function mdnLoss(
  p: Params,
  cfg: RnnConfig,
  b: SequenceBatch,
  eps: tf.Tensor,
): { loss: tf.Scalar; metrics: Record<string, tf.Scalar> } {
  const [B, T1, Z] = b.mu.shape;
  const T = T1 - 1;
  const z = tf.add(b.mu, tf.mul(tf.exp(tf.mul(b.logvar, 0.5)), eps));
  const zIn = tf.slice(z, [0, 0, 0], [B, T, Z]);
  const zTarget = tf.reshape(tf.slice(z, [0, 1, 0], [B, T, Z]), [B * T, Z]) as tf.Tensor2D;
  const { hs } = lstmSequence(p, tf.concat([zIn, b.action], 2) as tf.Tensor3D);
  const o = mdnHead(p, cfg, Z, tf.reshape(hs, [B * T, -1]) as tf.Tensor2D);
  const mask = tf.reshape(b.mask, [B * T]);
  const count = tf.maximum(tf.sum(mask), 1);
  const masked = (perRow: tf.Tensor) => tf.div(tf.sum(tf.mul(perRow, mask)), count) as tf.Scalar;
  const nll = masked(tf.mean(mixtureNll(o, zTarget), 1));
  const metrics: Record<string, tf.Scalar> = { nll };
  let loss: tf.Scalar = nll;
  if (o.reward) {
    const rl = masked(tf.square(tf.sub(o.reward, tf.reshape(b.reward, [B * T]))));
    metrics.reward_loss = rl;
    loss = tf.add(loss, tf.mul(rl, cfg.rewardWeight));
  }
  if (o.done) {
    const y = tf.reshape(b.done, [B * T]);
    // Weighted sigmoid cross-entropy: w·y·softplus(−x) + (1 − y)·softplus(x) (WMx Doom restart loss).
    const bce = tf.add(
      tf.mul(tf.mul(y, cfg.doneWeight), tf.softplus(tf.neg(o.done))),
      tf.mul(tf.sub(1, y), tf.softplus(o.done)),
    );
    const dl = masked(bce);
    metrics.done_loss = dl;
    loss = tf.add(loss, dl);
  }
  return { loss, metrics };
}

export function mdnTrainStep(
  p: Params,
  cfg: RnnConfig,
  opt: Adam,
  b: SequenceBatch,
  eps: tf.Tensor,
  poison = false,
): OptimizerStepResult {
  return opt.step(() => mdnLoss(p, cfg, b, eps), poison);
}

/** Sequence batch from host arrays (row-major), for callers that assemble batches on the CPU. */
export function sequenceBatch(d: SequenceArrays, B: number, T: number, zDim: number, actionDim: number): SequenceBatch {
  return {
    mu: tf.tensor3d(d.mu, [B, T + 1, zDim]),
    logvar: tf.tensor3d(d.logvar, [B, T + 1, zDim]),
    action: tf.tensor3d(d.action, [B, T, actionDim]),
    reward: tf.tensor2d(d.reward, [B, T]),
    done: tf.tensor2d(d.done, [B, T]),
    mask: tf.tensor2d(d.mask, [B, T]),
  };
}

export function disposeBatch(b: SequenceBatch): void {
  for (const t of Object.values(b)) t.dispose();
}
