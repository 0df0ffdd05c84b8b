import type { Params } from '../nn.ts';
import type { RnnConfig } from './config.ts';
import { MdnCell, type DreamStart, type MdnWeights } from './dream-kernel.ts';
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

/**
 * Dream starts at every frame of the recorded episodes, each with M's filtered LSTM state there — the state the
 * controller sees at that frame in the real env (one pass of M over each episode on the encoder means and the
 * recorded actions, as the agent filters: core/models/world-models/latent-model.ts `observe`). A fraction `along`
 * of the dreams start at a frame drawn uniformly over all of them, the others at an episode's first frame.
 * A named departure from the paper (WMx dreams all start at frame 0, from h = 0): with 24 episodes every frame-0
 * start shows the same standing car on the start straight, and CMA-ES settled on open-loop action sequences that
 * pay there (CarRacing `small`, session 8: the failing controllers leave the road within 100–200 steps and circle
 * or stop; their 5 returns lie within ±3 whatever the track). Starts along the episodes show mid-episode scenes
 * with the h that goes with them, so a controller is paid for reacting to what it sees.
 */
export function dreamStartsAlong(w: MdnWeights, eps: WmEpisode[], along: number): DreamStart {
  if (!(along >= 0 && along <= 1)) throw new Error(`dreamStartsAlong: along must be in [0, 1], got ${along}`);
  const { zDim: Z, actionDim: A, hidden: H } = w;
  const count = eps.reduce((n, e) => n + e.T, 0);
  const first = dreamStarts(eps, Z);
  const mu = new Float32Array(count * Z);
  const logvar = new Float32Array(count * Z);
  const h = new Float32Array(count * H);
  const c = new Float32Array(count * H);
  mu.set(first.mu);
  logvar.set(first.logvar);
  const cell = new MdnCell(w);
  let at = eps.length;
  for (const e of eps) {
    cell.reset();
    // Frame t ≥ 1 carries the state after [μ_{t−1}, a_{t−1}]; a_{t−1} is action row t (row t = the action that
    // led to frame t).
    for (let t = 1; t < e.T; t++, at++) {
      cell.step(e.mu!.subarray((t - 1) * Z, t * Z), e.action.subarray(t * A, (t + 1) * A));
      mu.set(e.mu!.subarray(t * Z, (t + 1) * Z), at * Z);
      logvar.set(e.logvar!.subarray(t * Z, (t + 1) * Z), at * Z);
      h.set(cell.h, at * H);
      c.set(cell.c, at * H);
    }
  }
  return { mu, logvar, count, h, c, first: eps.length, along };
}
