import * as tf from '@tensorflow/tfjs-core';
import { makeEnv } from '../../envs/registry.ts';
import type { Space } from '../../envs/types.ts';
import { resizeFrames } from '../../media/frames.ts';
import { Rng } from '../../util/rng.ts';
import type { Params } from '../nn.ts';
import type { RnnConfig, VaeConfig } from './config.ts';
import {
  actionDimOf,
  controllerAction,
  MdnCell,
  type ActionSpec,
  type DreamStart,
  type MdnWeights,
} from './dream-kernel.ts';
import type { WmEpisode } from './data.ts';
import { encode, framesToTensor } from './vae.ts';

/**
 * The controller C: a = tanh(W [z, h] + b) (WMx carracing/model.py, MODE_ZH), trained by CMA-ES in
 * the dream (family.ts) and evaluated here in the real environment, where z = μ of the VAE on the
 * real frame and h is the MDN-RNN's state driven by the real latents and the controller's actions.
 */
export function actionSpecOf(space: Space): ActionSpec {
  return space.kind === 'box' ? { kind: 'box', low: space.low, high: space.high } : { kind: 'discrete', n: space.n };
}

/** The MDN-RNN's weights as host arrays for the dream kernel and worker threads. */
export function exportMdnWeights(
  rnn: Params,
  cfg: RnnConfig,
  zDim: number,
  actionDim: number,
  prefix = 'rnn/',
): MdnWeights {
  const get = (k: string) => Float32Array.from(rnn[`${prefix}${k}`].dataSync() as Float32Array);
  return {
    zDim,
    actionDim,
    hidden: cfg.hidden,
    mixtures: cfg.mixtures,
    rewardHead: cfg.rewardHead,
    doneHead: cfg.doneHead,
    wx: get('lstm/wx'),
    wh: get('lstm/wh'),
    b: get('lstm/b'),
    headW: get('head/w'),
    headB: get('head/b'),
  };
}

/** Dream starting points: the encoder outputs of up to `max` real frames spread over the episodes. */
export function dreamStarts(eps: WmEpisode[], zDim: number, max = 2000): DreamStart {
  const total = eps.reduce((n, e) => n + e.T, 0);
  const stride = Math.max(1, Math.ceil(total / max));
  const mu: number[] = [];
  const logvar: number[] = [];
  let k = 0;
  for (const e of eps) {
    for (let t = 0; t < e.T; t++, k++) {
      if (k % stride) continue;
      for (let d = 0; d < zDim; d++) {
        mu.push(e.mu![t * zDim + d]);
        logvar.push(e.logvar![t * zDim + d]);
      }
    }
  }
  return { mu: Float32Array.from(mu), logvar: Float32Array.from(logvar), count: mu.length / zDim };
}

export interface RealEvalOptions {
  env: string;
  episodes: number;
  seed: number;
  maxSteps?: number;
}

/** Mean and per-episode return of the controller in the real env (env seeds seed, seed+1, …). */
export function controllerRealReturn(
  vae: Params,
  vaeCfg: VaeConfig,
  w: MdnWeights,
  theta: ArrayLike<number>,
  opts: RealEvalOptions,
): { mean: number; returns: number[] } {
  const env = makeEnv(opts.env, { size: vaeCfg.imageSize, ...(opts.maxSteps ? { maxSteps: opts.maxSteps } : {}) });
  const spec = actionSpecOf(env.actionSpace);
  const S = vaeCfg.imageSize;
  const returns: number[] = [];
  for (let e = 0; e < opts.episodes; e++) {
    let obs = env.reset(opts.seed + e);
    const cell = new MdnCell(w);
    const a = new Float32Array(actionDimOf(spec));
    let total = 0;
    for (;;) {
      const [H] = env.observationShape;
      const frame = resizeFrames(obs.image, 1, H, S);
      const z = tf.tidy(() => {
        const x = framesToTensor(frame, 1, S);
        return encode(vae, vaeCfg, x).mu.dataSync() as Float32Array;
      });
      controllerAction(theta, z, cell.h, spec, a);
      cell.step(z, a);
      const r = env.step(a);
      total += r.reward;
      obs = r.obs;
      if (r.terminated || r.truncated) break;
    }
    returns.push(total);
  }
  return { mean: returns.reduce((x, y) => x + y, 0) / returns.length, returns };
}

/** Baseline: uniformly random actions (a box's uniform sample; a uniform discrete index). */
export function randomPolicyReturn(opts: RealEvalOptions & { size: number }): { mean: number; returns: number[] } {
  const env = makeEnv(opts.env, { size: opts.size, ...(opts.maxSteps ? { maxSteps: opts.maxSteps } : {}) });
  const rng = new Rng(opts.seed ^ 0x5eed);
  const space = env.actionSpace;
  const returns: number[] = [];
  for (let e = 0; e < opts.episodes; e++) {
    env.reset(opts.seed + e);
    let total = 0;
    for (;;) {
      const action = space.kind === 'box' ? space.low.map((lo, i) => rng.uniform(lo, space.high[i])) : rng.int(space.n);
      const r = env.step(action);
      total += r.reward;
      if (r.terminated || r.truncated) break;
    }
    returns.push(total);
  }
  return { mean: returns.reduce((x, y) => x + y, 0) / returns.length, returns };
}
