import * as tf from '@tensorflow/tfjs-core';
import type { Episode } from '../../data/episode.ts';
import { resizeFrames } from '../../media/frames.ts';
import type { Rng } from '../../util/rng.ts';
import type { Params } from '../nn.ts';
import type { VaeConfig } from './config.ts';
import { encode, framesToTensor } from './vae.ts';

/**
 * World Models' view of a dataset: frames at the model's size, and (after the VAE phase) each
 * episode's encoder outputs μ, log σ² — the MDN-RNN trains on those (WMx series.py). Batches are
 * drawn only from the step's Rng, so the data order is a function of (seed, step).
 */
export interface WmEpisode {
  /** uint8 [T, S, S, 3] at the model's size. */
  frames: Uint8Array;
  T: number;
  /** float32 [T, A]; row t = the action that led to frame t (Dreamer layout). */
  action: Float32Array;
  reward: Float32Array;
  terminal: Uint8Array;
  mu?: Float32Array;
  logvar?: Float32Array;
}

export function prepareEpisodes(episodes: Episode[], size: number): WmEpisode[] {
  return episodes.map((ep) => {
    const [T, H] = ep.imageShape;
    return {
      frames: resizeFrames(ep.image, T, H, size),
      T,
      action: ep.action,
      reward: ep.reward,
      terminal: ep.isTerminal,
    };
  });
}

/** B frames drawn uniformly over all frames of all episodes: uint8 [B, S, S, 3]. */
export function sampleFrames(eps: WmEpisode[], size: number, B: number, rng: Rng): Uint8Array {
  const total = eps.reduce((n, e) => n + e.T, 0);
  const px = size * size * 3;
  const out = new Uint8Array(B * px);
  for (let b = 0; b < B; b++) {
    let i = rng.int(total);
    let e = 0;
    while (i >= eps[e].T) i -= eps[e++].T;
    out.set(eps[e].frames.subarray(i * px, (i + 1) * px), b * px);
  }
  return out;
}

/** Encodes every frame (deterministic: μ, log σ² of the current VAE), in chunks of 256. */
export function encodeEpisodes(vae: Params, cfg: VaeConfig, eps: WmEpisode[]): void {
  const px = cfg.imageSize * cfg.imageSize * 3;
  for (const ep of eps) {
    ep.mu = new Float32Array(ep.T * cfg.zDim);
    ep.logvar = new Float32Array(ep.T * cfg.zDim);
    for (let s = 0; s < ep.T; s += 256) {
      const n = Math.min(256, ep.T - s);
      const x = framesToTensor(ep.frames.subarray(s * px, (s + n) * px), n, cfg.imageSize);
      const { mu, logvar } = encode(vae, cfg, x);
      ep.mu.set(mu.dataSync(), s * cfg.zDim);
      ep.logvar.set(logvar.dataSync(), s * cfg.zDim);
      tf.dispose([x, mu, logvar]);
    }
  }
}

export interface SequenceArrays {
  mu: Float32Array;
  logvar: Float32Array;
  action: Float32Array;
  reward: Float32Array;
  done: Float32Array;
  mask: Float32Array;
}

/**
 * B windows of T transitions, each inside one episode (episodes chosen in proportion to their
 * transitions; shorter episodes are padded and masked). Transition t of a window starting at s:
 * z_{s+t} with the action taken there (row s+t+1) → z_{s+t+1}, reward and terminal of row s+t+1.
 * With `startsAnywhere` > 0 that fraction of windows starts at any frame with a transition after it (padded past the
 * episode's end); at 0 no extra draw is made, so earlier runs' batches are unchanged.
 */
export function sampleSequences(
  eps: WmEpisode[],
  zDim: number,
  actionDim: number,
  B: number,
  T: number,
  rng: Rng,
  startsAnywhere = 0,
): SequenceArrays {
  const weights = eps.map((e) => Math.max(e.T - 1, 0));
  const total = weights.reduce((a, b) => a + b, 0);
  const out: SequenceArrays = {
    mu: new Float32Array(B * (T + 1) * zDim),
    logvar: new Float32Array(B * (T + 1) * zDim),
    action: new Float32Array(B * T * actionDim),
    reward: new Float32Array(B * T),
    done: new Float32Array(B * T),
    mask: new Float32Array(B * T),
  };
  for (let b = 0; b < B; b++) {
    let r = rng.int(total);
    let e = 0;
    while (r >= weights[e]) r -= weights[e++];
    const ep = eps[e];
    const anywhere = startsAnywhere > 0 && rng.next() < startsAnywhere;
    const start = anywhere ? rng.int(Math.max(1, ep.T - 1)) : rng.int(Math.max(1, ep.T - 1 - T + 1));
    for (let t = 0; t <= T; t++) {
      const i = Math.min(start + t, ep.T - 1);
      out.mu.set(ep.mu!.subarray(i * zDim, (i + 1) * zDim), (b * (T + 1) + t) * zDim);
      out.logvar.set(ep.logvar!.subarray(i * zDim, (i + 1) * zDim), (b * (T + 1) + t) * zDim);
      if (t === T) break;
      const next = start + t + 1;
      if (next >= ep.T) continue;
      out.mask[b * T + t] = 1;
      out.action.set(ep.action.subarray(next * actionDim, (next + 1) * actionDim), (b * T + t) * actionDim);
      out.reward[b * T + t] = ep.reward[next];
      out.done[b * T + t] = ep.terminal[next] ? 1 : 0;
    }
  }
  return out;
}
