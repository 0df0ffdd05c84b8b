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
