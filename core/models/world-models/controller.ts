import type { Params } from '../nn.ts';
import type { RnnConfig } from './config.ts';
import type { DreamStart, MdnWeights } from './dream-kernel.ts';
import type { WmEpisode } from './data.ts';

/**
 * What the controller C (core/models/controller-policy.ts) is trained from in the dream (family.ts): the
 * MDN-RNN's weights for the dream kernel and the encoder outputs the dreams start from. Its real-env score is
 * the runner's (core/runs/trained-behavior.ts: the controller behaviour through the shared rollout loop).
 */

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

/**
 * Dream starting points: the encoder outputs (μ, log σ²) of each episode's first frame — where a real episode
 * starts, so the controller is trained from the states it is scored from (WMx doomrnn/rnn_train.py saves
 * initial_z.json from frame 0 of each episode and the dream resets from it). Sampling frames from anywhere in
 * random-policy episodes starts many dreams after the car has left the road (CarRacing, seed 0's Brownian data: a
 * new tile in 5 % of rows 0–99, 1 % of rows 100–299).
 */
export function dreamStarts(eps: WmEpisode[], zDim: number): DreamStart {
  const mu = new Float32Array(eps.length * zDim);
  const logvar = new Float32Array(eps.length * zDim);
  eps.forEach((e, i) => {
    if (!e.mu || !e.logvar) throw new Error('dreamStarts needs encoded episodes (encodeEpisodes first)');
    mu.set(e.mu.subarray(0, zDim), i * zDim);
    logvar.set(e.logvar.subarray(0, zDim), i * zDim);
  });
  return { mu, logvar, count: eps.length };
}
