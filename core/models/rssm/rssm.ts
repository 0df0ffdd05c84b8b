import * as tf from '@tensorflow/tfjs-core';
import type { RssmModelConfig } from './config.ts';
import { stochSize } from './config.ts';
import {
  type LatentDist,
  categoricalFromRaw,
  distMode,
  gaussianFromRaw,
  mapDist,
  sampleDist,
  stackDists,
} from './distributions.ts';
import { type Params, dense, initDense, initWeight } from '../nn.ts';
import type { SeedStream } from './seed-stream.ts';
import { act } from './activation.ts';
import { gruGates } from '../../tensor/gru-gates.ts';
import { initLayerNorm, layerNorm } from './layer-norm.ts';
import { stopGradient } from '../../tensor/stop-gradient.ts';
import type { Rng } from '../../util/rng.ts';

/**
 * The recurrent state-space model (PlaNet rssm.py RSSM; Dreamer v1 models.py RSSM; DreamerV2 EnsembleRSSM):
 *   prior      img_step: h = act(dense([s_{t−1}, a_t])) → GRU → deter_t → act(dense) → dist → s_t
 *              (or DreamerV3's separate embeddings of s_{t−1} and a_t: config rssm.priorInput)
 *   posterior  obs_step: act(dense([deter_t, embed_t])) → dist → s_t
 * Data layout as Dreamer v1/v2 (mission-anchors §1.0): row t holds the action that led to obs t, so the prior
 * of step t uses action_t. is_first zeroes the previous state and action (DreamerV2 behaviour).
 */
/** Transition parameters live in the model's flat Params under `rssm/…`. */
export type TransitionParams = Params;

export interface RssmState {
  deter: tf.Tensor2D;
  stoch: tf.Tensor2D;
  dist: LatentDist;
}

/** States stacked over time: deter [B, T, D], stoch [B, T, S], dist params [B, T, ...]. */
export interface RssmSeq {
  deter: tf.Tensor3D;
  stoch: tf.Tensor3D;
  dist: LatentDist;
}

function distOut(c: RssmModelConfig): number {
  const l = c.rssm.latent;
  return l.kind === 'gaussian' ? 2 * l.size : l.groups * l.classes;
}

export function initTransition(params: Params, c: RssmModelConfig, embed: number, rng: Rng): void {
  const { deter, hidden } = c.rssm;
  // GRU as Dreamer's (dreamer tools.py / dreamerv2 nets.py GRUCell): one fused dense over [x, h] → reset,
  // candidate, update (update bias −1), optional layer norm on the gates. The x and h parts are separate weights.
  if (c.rssm.priorInput === 'joint') {
    initDense(params, 'rssm/img_in', stochSize(c) + c.actionDim, hidden, rng);
    initDense(params, 'rssm/gru_x', hidden, 3 * deter, rng);
  } else {
    // Own names (not img_in / gru_x): a checkpoint of one layout can never fill the other's weights.
    initDense(params, 'rssm/dynin_stoch', stochSize(c), hidden, rng);
    initLayerNorm(params, 'rssm/dynin_stoch_norm', hidden);
    initDense(params, 'rssm/dynin_action', c.actionDim, hidden, rng);
    if (c.rssm.priorInput === 'separate') initLayerNorm(params, 'rssm/dynin_action_norm', hidden);
    initDense(params, 'rssm/gru_dynin', 2 * hidden, 3 * deter, rng);
  }
  initWeight(params, 'rssm/gru_h', deter, 3 * deter, rng);
  if (c.rssm.gruNorm) initLayerNorm(params, 'rssm/gru_norm', 3 * deter);
  initDense(params, 'rssm/img_out', deter, hidden, rng);
  initDense(params, 'rssm/img_dist', hidden, distOut(c), rng);
  // The posterior's dense on [deter, embed], split: the embed part is applied to all B·T at once.
  initWeight(params, 'rssm/obs_deter', deter, hidden, rng);
  initDense(params, 'rssm/obs_embed', embed, hidden, rng);
  initDense(params, 'rssm/obs_dist', hidden, distOut(c), rng);
}

function gru(p: Params, c: RssmModelConfig, x: tf.Tensor2D, h: tf.Tensor2D): tf.Tensor2D {
  const xName = c.rssm.priorInput === 'joint' ? 'rssm/gru_x' : 'rssm/gru_dynin';
  let parts: tf.Tensor = tf.add(dense(p, xName, x), tf.matMul(h, p['rssm/gru_h/w'] as tf.Tensor2D));
  if (c.rssm.gruNorm) parts = layerNorm(p, 'rssm/gru_norm', parts);
  return gruGates(parts as tf.Tensor2D, h);
}

export function distFromRaw(c: RssmModelConfig, raw: tf.Tensor): LatentDist {
  const l = c.rssm.latent;
  return l.kind === 'gaussian'
    ? gaussianFromRaw(raw, l.minStd)
    : categoricalFromRaw(raw, l.groups, l.classes, l.unimix);
}

export function initialState(c: RssmModelConfig, n: number): RssmState {
  const l = c.rssm.latent;
  const dist: LatentDist =
    l.kind === 'gaussian'
      ? { kind: 'gaussian', mean: tf.zeros([n, l.size]), std: tf.ones([n, l.size]) }
      : { kind: 'categorical', logits: tf.fill([n, l.groups, l.classes], -Math.log(l.classes)) };
  return { deter: tf.zeros([n, c.rssm.deter]), stoch: tf.zeros([n, stochSize(c)]), dist };
}

/** A latent draw: a sample (training, imagination) or the mode (deterministic evaluation). */
function draw(dist: LatentDist, seeds: SeedStream | null): tf.Tensor2D {
  if (!seeds) return distMode(dist);
  const t = seeds.temperature;
  if (t === 1) return sampleDist(dist, seeds.next());
  const scaled: LatentDist =
    dist.kind === 'gaussian'
      ? { kind: 'gaussian', mean: dist.mean, std: tf.mul(dist.std, t) }
      : { kind: 'categorical', logits: tf.logSoftmax(tf.div(dist.logits, t)) };
  return sampleDist(scaled, seeds.next());
}

/** The GRU's input from s_{t−1} and a_t (config rssm.priorInput). */
function priorInput(p: TransitionParams, c: RssmModelConfig, stoch: tf.Tensor2D, action: tf.Tensor2D): tf.Tensor2D {
  if (c.rssm.priorInput === 'joint')
    return act(dense(p, 'rssm/img_in', tf.concat([stoch, action], -1) as tf.Tensor2D), c.rssm.act) as tf.Tensor2D;
  // DreamerV3 rssm.py RSSM._core: a /= sg(max(1, |a|)), then dynin1 (stoch) and dynin2 (action) each
  // Linear → Norm → act (DreamerV3's dynin0 on deter is our GRU's h part). The norm stays on the 1-dim action as
  // there, though at init (dense bias 0) it keeps little of |a| beyond sign(a) (small preset: a 0.3 → 0.9 moves
  // deter 0.09× as much as −1 → +1; the learned bias can bring |a| back). Without it the action branch would start
  // at RMS ≈ 0.12 against the normed stoch branch's ≈ 0.71 (Glorot 1 → 64 at |a| = 1), the imbalance this removes.
  // 'separate-raw-action' takes that imbalance to keep |a| (dense → act on the action; issue 11's cartpole prior).
  const a = tf.div(action, stopGradient(tf.maximum(1, tf.abs(action))));
  const norm = (name: string, x: tf.Tensor2D) => act(layerNorm(p, `${name}_norm`, dense(p, name, x)), c.rssm.act);
  const actionEmbed =
    c.rssm.priorInput === 'separate'
      ? norm('rssm/dynin_action', a as tf.Tensor2D)
      : act(dense(p, 'rssm/dynin_action', a as tf.Tensor2D), c.rssm.act);
  return tf.concat([norm('rssm/dynin_stoch', stoch), actionEmbed], -1) as tf.Tensor2D;
}

/** Prior step p(s_t | s_{t−1}, a_t). */
export function imgStep(
  p: TransitionParams,
  c: RssmModelConfig,
  prev: { deter: tf.Tensor; stoch: tf.Tensor },
  action: tf.Tensor,
  seeds: SeedStream | null,
): RssmState {
  const deter = gru(
    p,
    c,
    priorInput(p, c, prev.stoch as tf.Tensor2D, action as tf.Tensor2D),
    prev.deter as tf.Tensor2D,
  );
  const h = act(dense(p, 'rssm/img_out', deter), c.rssm.act) as tf.Tensor2D;
  const dist = distFromRaw(c, dense(p, 'rssm/img_dist', h));
  return { deter, stoch: draw(dist, seeds), dist };
}

/** Posterior step q(s_t | deter_t, embed_t), given embedProj = embed_t·W_e + b (precomputed over time). */
export function obsStep(
  p: TransitionParams,
  c: RssmModelConfig,
  deter: tf.Tensor2D,
  embedProj: tf.Tensor,
  seeds: SeedStream | null,
): RssmState {
  const h = act(tf.add(tf.matMul(deter, p['rssm/obs_deter/w'] as tf.Tensor2D), embedProj), c.rssm.act) as tf.Tensor2D;
  const dist = distFromRaw(c, dense(p, 'rssm/obs_dist', h));
  return { deter, stoch: draw(dist, seeds), dist };
}

function stackStates(states: RssmState[]): RssmSeq {
  return {
    deter: tf.stack(
      states.map((s) => s.deter),
      1,
    ) as tf.Tensor3D,
    stoch: tf.stack(
      states.map((s) => s.stoch),
      1,
    ) as tf.Tensor3D,
    dist: stackDists(states.map((s) => s.dist)),
  };
}

/**
 * Posterior (and prior) over a real sequence. embed [B, T, E], action [B, T, A], isFirst [B, T] (0/1 float).
 * `seeds` null → modes instead of samples.
 */
export function observe(
  p: TransitionParams,
  c: RssmModelConfig,
  embed: tf.Tensor3D,
  action: tf.Tensor3D,
  isFirst: tf.Tensor2D,
  seeds: SeedStream | null,
  init?: { deter: tf.Tensor2D; stoch: tf.Tensor2D },
): { post: RssmSeq; prior: RssmSeq; last: RssmState } {
  const [b, t] = embed.shape;
  // One matmul for the embed part of every posterior step (XNNPACK packs the weight once, not T times).
  const proj = tf.reshape(dense(p, 'rssm/obs_embed', tf.reshape(embed, [b * t, -1])), [b, t, -1]);
  const projs = tf.unstack(proj, 1);
  const actions = tf.unstack(action, 1);
  const keep = tf.unstack(tf.sub(1, tf.expandDims(isFirst, -1)), 1);
  let state: { deter: tf.Tensor2D; stoch: tf.Tensor2D } = init ?? initialState(c, b);
  const posts: RssmState[] = [];
  const priors: RssmState[] = [];
  for (let i = 0; i < t; i++) {
    const prev = { deter: tf.mul(state.deter, keep[i]), stoch: tf.mul(state.stoch, keep[i]) };
    const prior = imgStep(p, c, prev, tf.mul(actions[i], keep[i]), seeds);
    const post = obsStep(p, c, prior.deter, projs[i], seeds);
    priors.push(prior);
    posts.push(post);
    state = post;
  }
  return { post: stackStates(posts), prior: stackStates(priors), last: posts[t - 1] };
}

/** A policy for imagination: features [N, F] → actions [N, A]. */
export type LatentPolicy = (feat: tf.Tensor2D, step: number) => tf.Tensor2D;

/** Prior rollout from `start` ([N, ...]) under actions [N, H, A] or a policy for `horizon` steps. */
export function imagine(
  p: TransitionParams,
  c: RssmModelConfig,
  start: { deter: tf.Tensor2D; stoch: tf.Tensor2D },
  actions: tf.Tensor3D | { policy: LatentPolicy; horizon: number },
  seeds: SeedStream | null,
): RssmSeq {
  const horizon = actions instanceof tf.Tensor ? actions.shape[1] : actions.horizon;
  const acts = actions instanceof tf.Tensor ? tf.unstack(actions, 1) : null;
  let state: { deter: tf.Tensor2D; stoch: tf.Tensor2D } = start;
  const out: RssmState[] = [];
  for (let i = 0; i < horizon; i++) {
    const a = acts ? acts[i] : (actions as { policy: LatentPolicy }).policy(features(state), i);
    const next = imgStep(p, c, state, a, seeds);
    out.push(next);
    state = next;
  }
  return stackStates(out);
}

/** Features [deter, stoch] (issue 5; order as Dreamer's get_feat reversed — heads do not care). */
export function features(s: { deter: tf.Tensor; stoch: tf.Tensor }): tf.Tensor2D {
  return tf.concat([s.deter, s.stoch], -1) as tf.Tensor2D;
}

export function seqFeatures(s: RssmSeq): tf.Tensor2D {
  const [b, t] = s.deter.shape;
  return tf.reshape(tf.concat([s.deter, s.stoch], -1), [b * t, -1]);
}

/** The state at time index i of a sequence: [B, ...]. */
export function stateAt(s: RssmSeq, i: number): RssmState {
  const pick = (x: tf.Tensor) => tf.squeeze(tf.slice(x, [0, i], [-1, 1]), [1]);
  return { deter: pick(s.deter) as tf.Tensor2D, stoch: pick(s.stoch) as tf.Tensor2D, dist: mapDist(s.dist, pick) };
}

/** Flattens [B, T, ...] states to [B·T, ...] (every posterior state a start: overshooting, imagination). */
export function flattenSeq(s: RssmSeq): RssmState {
  const [b, t] = s.deter.shape;
  const flat = (x: tf.Tensor) => tf.reshape(x, [b * t, ...x.shape.slice(2)]);
  return { deter: flat(s.deter) as tf.Tensor2D, stoch: flat(s.stoch) as tf.Tensor2D, dist: mapDist(s.dist, flat) };
}
