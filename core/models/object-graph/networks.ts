import * as tf from '@tensorflow/tfjs-core';
import { glorotUniform, type Params } from '../nn.ts';
import type { Rng } from '../../util/rng.ts';
import { extractorChannels, maskSide, type ObjectGraphConfig } from './config.ts';

/**
 * C-SWM's three networks (tkipf/c-swm modules.py), functional over a flat Params record:
 *  - object extractor CNN (EncoderCNNSmall / Medium / Large): frame → K sigmoid masks (one per slot);
 *  - object encoder MLP (EncoderMLP), shared across slots: mask → z_k ∈ R^D;
 *  - transition GNN (TransitionGNN): fully connected over the K slots without self-loops, edge MLP on
 *    [z_i, z_j], node MLP on [z_i, a_i, Σ_{j≠i} e_ij], output Δz.
 * Batch norm keeps running statistics in a second, non-trainable record (`stats`), updated after each
 * optimiser step (PyTorch BatchNorm2d: momentum 0.1, unbiased variance); evaluation normalises with them.
 */
export interface ObjectGraphParams {
  params: Params;
  /** BatchNorm running mean / variance ('ext/bn1/mean', 'ext/bn1/var', …). */
  stats: Params;
}

const BN_EPS = 1e-5; // torch.nn.BatchNorm2d default
const BN_MOMENTUM = 0.1;
const LN_EPS = 1e-5; // torch.nn.LayerNorm default
const LEAKY_SLOPE = 0.01; // torch.nn.LeakyReLU default

/** Width of a slot's action: the env's (copy), the env's / K (per-object), or 0 (ignore). */
export function slotActionDim(c: ObjectGraphConfig, envActionDim: number): number {
  if (c.model.actionMode === 'ignore') return 0;
  return c.model.actionMode === 'copy' ? envActionDim : envActionDim / c.model.numObjects;
}

function variable(params: Params, name: string, t: tf.Tensor, trainable = true): void {
  if (params[name]) throw new Error(`parameter '${name}' is defined twice`);
  params[name] = tf.variable(t, trainable);
  t.dispose();
}

/** nn.Linear's default init (kaiming_uniform a=√5): weight and bias uniform in ±1/√fan_in. */
function initLinear(p: Params, name: string, inDim: number, outDim: number, rng: Rng): void {
  const bound = 1 / Math.sqrt(inDim);
  const u = (n: number) => Float32Array.from({ length: n }, () => (rng.next() * 2 - 1) * bound);
  variable(p, `${name}/w`, tf.tensor2d(u(inDim * outDim), [inDim, outDim]));
  variable(p, `${name}/b`, tf.tensor1d(u(outDim)));
}

/** utils.weights_init: Xavier-uniform conv weights, zero bias. Filter [k, k, cin, cout]. */
function initConv(p: Params, name: string, k: number, cin: number, cout: number, rng: Rng): void {
  variable(p, `${name}/w`, glorotUniform([k, k, cin, cout], k * k * cin, k * k * cout, rng));
  variable(p, `${name}/b`, tf.zeros([cout]));
}

function initNorm(p: Params, name: string, dim: number): void {
  variable(p, `${name}/g`, tf.ones([dim]));
  variable(p, `${name}/b`, tf.zeros([dim]));
}

function initBatchNorm(p: Params, stats: Params, name: string, dim: number): void {
  initNorm(p, name, dim);
  variable(stats, `${name}/mean`, tf.zeros([dim]), false);
  variable(stats, `${name}/var`, tf.ones([dim]), false);
}

/** The extractor's conv layers: [name, kernel, stride, padding, cout, batch norm + hidden activation]. */
function extractorLayers(c: ObjectGraphConfig): [string, number, number, 'valid' | 'same', number, boolean][] {
  const C = extractorChannels(c);
  const K = c.model.numObjects;
  if (c.model.encoder === 'small')
    return [
      ['ext/conv1', 10, 10, 'valid', C, true],
      ['ext/conv2', 1, 1, 'valid', K, false],
    ];
  if (c.model.encoder === 'medium')
    return [
      ['ext/conv1', 9, 1, 'same', C, true],
      ['ext/conv2', 5, 5, 'valid', K, false],
    ];
  return [
    ['ext/conv1', 3, 1, 'same', C, true],
    ['ext/conv2', 3, 1, 'same', C, true],
    ['ext/conv3', 3, 1, 'same', C, true],
    ['ext/conv4', 3, 1, 'same', K, false],
  ];
}

export function initObjectGraph(c: ObjectGraphConfig, envActionDim: number, rng: Rng): ObjectGraphParams {
  const params: Params = {};
  const stats: Params = {};
  let cin = 3;
  for (const [name, k, , , cout, bn] of extractorLayers(c)) {
    initConv(params, name, k, cin, cout, rng);
    if (bn) initBatchNorm(params, stats, name.replace('conv', 'bn'), cout);
    cin = cout;
  }
  const H = c.model.hiddenDim;
  const D = c.model.embeddingDim;
  const m = maskSide(c);
  initLinear(params, 'enc/fc1', m * m, H, rng);
  initLinear(params, 'enc/fc2', H, H, rng);
  initLinear(params, 'enc/fc3', H, D, rng);
  initNorm(params, 'enc/ln', H);
  initLinear(params, 'edge/fc1', 2 * D, H, rng);
  initLinear(params, 'edge/fc2', H, H, rng);
  initNorm(params, 'edge/ln', H);
  initLinear(params, 'edge/fc3', H, H, rng);
  initLinear(params, 'node/fc1', D + slotActionDim(c, envActionDim) + H, H, rng);
  initLinear(params, 'node/fc2', H, H, rng);
  initNorm(params, 'node/ln', H);
  initLinear(params, 'node/fc3', H, D, rng);
  return { params, stats };
}

const linear = (p: Params, name: string, x: tf.Tensor): tf.Tensor => {
  const w = p[`${name}/w`];
  const flat = x.rank === 2 ? (x as tf.Tensor2D) : tf.reshape(x, [-1, w.shape[0]]);
  const y = tf.add(tf.matMul(flat, w as tf.Tensor2D), p[`${name}/b`]);
  return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), w.shape[1] as number]);
};

/** nn.LayerNorm over the last axis (biased variance, ε 1e-5, affine). */
export function layerNorm(p: Params, name: string, x: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, LN_EPS))), p[`${name}/g`]), p[`${name}/b`]);
}

/** Per-channel batch moments a training forward used, in call order, for the running-stat update. */
export type BatchMoments = { name: string; mean: tf.Tensor1D; variance: tf.Tensor1D; count: number }[];

/**
 * Frames [B, S, S, 3] in [0, 1] → slot masks [B, K, m·m] (the extractor's sigmoid maps, each flattened row by
 * row as modules.py's `view(-1, K, H·W)` of an NCHW map). `moments` given = training mode (batch statistics,
 * recorded for `updateRunningStats`); absent = evaluation mode (running statistics).
 */
export function extractObjects(
  og: ObjectGraphParams,
  c: ObjectGraphConfig,
  x: tf.Tensor4D,
  moments?: BatchMoments,
): tf.Tensor3D {
  const p = og.params;
  let h: tf.Tensor4D = x;
  for (const [name, , stride, pad, , bn] of extractorLayers(c)) {
    h = tf.add(tf.conv2d(h, p[`${name}/w`] as tf.Tensor4D, stride, pad), p[`${name}/b`]);
    if (bn) {
      const n = name.replace('conv', 'bn');
      let mean: tf.Tensor, variance: tf.Tensor;
      if (moments) {
        ({ mean, variance } = tf.moments(h, [0, 1, 2]));
        const [b, hh, ww] = h.shape;
        moments.push({
          name: n,
          mean: tf.keep(mean as tf.Tensor1D),
          variance: tf.keep(variance as tf.Tensor1D),
          count: b * hh * ww,
        });
      } else {
        mean = og.stats[`${n}/mean`];
        variance = og.stats[`${n}/var`];
      }
      h = tf.add(tf.mul(tf.div(tf.sub(h, mean), tf.sqrt(tf.add(variance, BN_EPS))), p[`${n}/g`]), p[`${n}/b`]);
      h = c.model.encoder === 'medium' ? tf.leakyRelu(h, LEAKY_SLOPE) : tf.relu(h);
    } else h = tf.sigmoid(h);
  }
  const [B, m] = h.shape;
  return tf.reshape(tf.transpose(h, [0, 3, 1, 2]), [B, c.model.numObjects, m * m]);
}

/** running ← (1 − 0.1)·running + 0.1·batch (variance unbiased), once per extractor call, in call order. */
export function updateRunningStats(og: ObjectGraphParams, moments: BatchMoments): void {
  tf.tidy(() => {
    for (const m of moments) {
      const rm = og.stats[`${m.name}/mean`];
      const rv = og.stats[`${m.name}/var`];
      const unbiased = tf.mul(m.variance, m.count / Math.max(1, m.count - 1));
      rm.assign(tf.add(tf.mul(rm, 1 - BN_MOMENTUM), tf.mul(m.mean, BN_MOMENTUM)));
      rv.assign(tf.add(tf.mul(rv, 1 - BN_MOMENTUM), tf.mul(unbiased, BN_MOMENTUM)));
    }
  });
}

export function disposeMoments(moments: BatchMoments): void {
  for (const m of moments) tf.dispose([m.mean, m.variance]);
  moments.length = 0;
}

/** EncoderMLP: masks [B, K, m·m] → z [B, K, D] (fc, ReLU, fc, LayerNorm, ReLU, fc), shared over slots. */
export function encodeObjects(og: ObjectGraphParams, masks: tf.Tensor3D): tf.Tensor3D {
  const p = og.params;
  const h = tf.relu(linear(p, 'enc/fc1', masks));
  const h2 = tf.relu(layerNorm(p, 'enc/ln', linear(p, 'enc/fc2', h)));
  return linear(p, 'enc/fc3', h2) as tf.Tensor3D;
}

/**
 * Each slot's action [B, K, A_slot] from the env's action rows [B, A_env] (one-hot for discrete envs).
 * per-object: modules.py `to_one_hot(action, action_dim · K).view(-1, action_dim)`, i.e. the one-hot row cut into K
 * consecutive chunks, chunk k to slot k; copy: `to_one_hot(action, action_dim).repeat(1, K)`; ignore: null.
 */
export function slotActions(c: ObjectGraphConfig, action: tf.Tensor2D): tf.Tensor3D | null {
  const [B, A] = action.shape;
  const K = c.model.numObjects;
  if (c.model.actionMode === 'ignore') return null;
  if (c.model.actionMode === 'copy') return tf.tile(tf.reshape(action, [B, 1, A]), [1, K, 1]) as tf.Tensor3D;
  return tf.reshape(action, [B, K, A / K]);
}

/** Mask [K, K, 1] that is 0 on the diagonal: the graph is fully connected without self-loops. */
function offDiagonal(K: number): tf.Tensor3D {
  const m = new Float32Array(K * K).fill(1);
  for (let i = 0; i < K; i++) m[i * K + i] = 0;
  return tf.tensor3d(m, [K, K, 1]);
}

/**
 * Edge messages e_ij = edge_mlp([z_i, z_j]) for every ordered pair, [B, K, K, H], zero for i = j. The first
 * layer's W·[z_i; z_j] is computed as W_src·z_i + W_tgt·z_j (the same sum), so all K² pairs come from two
 * [B, K, H] products by broadcasting instead of a gather.
 */
export function edgeMessages(og: ObjectGraphParams, c: ObjectGraphConfig, z: tf.Tensor3D): tf.Tensor4D {
  const p = og.params;
  const [B, K, D] = z.shape;
  const H = c.model.hiddenDim;
  const w = p['edge/fc1/w'];
  const src = tf.matMul(tf.reshape(z, [B * K, D]), tf.slice(w, [0, 0], [D, H]) as tf.Tensor2D);
  const tgt = tf.matMul(tf.reshape(z, [B * K, D]), tf.slice(w, [D, 0], [D, H]) as tf.Tensor2D);
  const pre = tf.add(
    tf.add(tf.reshape(src, [B, K, 1, H]), tf.reshape(tgt, [B, 1, K, H])),
    p['edge/fc1/b'],
  ) as tf.Tensor4D;
  const h = tf.relu(pre);
  const h2 = tf.relu(layerNorm(p, 'edge/ln', linear(p, 'edge/fc2', h)));
  const e = linear(p, 'edge/fc3', h2);
  const mask = offDiagonal(K);
  const out = tf.mul(e, mask) as tf.Tensor4D;
  mask.dispose();
  return out;
}

/** TransitionGNN.forward: Δz [B, K, D] from z [B, K, D] and the env's action rows [B, A_env]. */
export function transition(
  og: ObjectGraphParams,
  c: ObjectGraphConfig,
  z: tf.Tensor3D,
  action: tf.Tensor2D,
): tf.Tensor3D {
  return tf.tidy(() => {
    const agg = tf.sum(edgeMessages(og, c, z), 2); // unsorted_segment_sum over the edges leaving slot i
    const a = slotActions(c, action);
    const node = tf.concat(a ? [z, a, agg] : [z, agg], 2);
    const p = og.params;
    const h = tf.relu(linear(p, 'node/fc1', node));
    const h2 = tf.relu(layerNorm(p, 'node/ln', linear(p, 'node/fc2', h)));
    return linear(p, 'node/fc3', h2) as tf.Tensor3D;
  });
}

/** uint8 frames [N·s·s·3] → float [N, s, s, 3] in [0, 1] (C-SWM's observations are /255 floats). */
export function framesTensor(frames: Uint8Array, n: number, size: number): tf.Tensor4D {
  const x = new Float32Array(frames.length);
  for (let i = 0; i < x.length; i++) x[i] = frames[i] / 255;
  return tf.tensor4d(x, [n, size, size, 3]);
}
