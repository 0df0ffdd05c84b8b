import type { Episode } from '../data/episode.ts';
import { foregroundMask, maskedSquaredError } from '../media/foreground.ts';
import { pixelMse } from '../media/frames.ts';
import {
  filterStartOf,
  type EvalMetric,
  type LoadedModel,
  type OpenLoopFilter,
  type OpenLoopOptions,
} from '../models/family.ts';
import { UserError } from '../util/errors.ts';
import { latentOpenLoop } from '../models/latent-openloop.ts';
import { Rng } from '../util/rng.ts';
import { metricWithBaselines } from '../models/eval-metric.ts';
import { predictiveMeanDream } from './predictive-mean.ts';
import { ratioInterval } from '../util/ratio-interval.ts';

/**
 * Pixel and reward measures every family reports (issue 11), from the family's own open loop on held-out
 * episodes: filter the real frames (from the episode's first frame by default, see OpenLoopFilter), then dream
 * under the episode's actions; the last OPENLOOP_CONTEXT observed frames are the context.
 * - openloop_mse@h: full-frame pixel MSE at horizon h, against copying the last real frame and against the
 *   training episodes' mean frame;
 * - openloop_fg_mse@h: the same on the foreground only (pixels where the true frame differs from the training
 *   mean frame by more than 0.1 in a channel), model and baselines on the same mask: a dream of the background
 *   scores there as badly as the mean frame;
 * - recon_mse / recon_fg_mse: the model's view of the context frames it observed, against the mean frame;
 * - openloop_reward_mse: the reward head over the dream, against the training mean reward and against the same
 *   model fed the dream's actions shuffled in time (if that is as good, the model does not use its actions);
 * - openloop_predmean_mse@h, openloop_predmean_fg_mse@h (with `samples` K): the same two for the mean of K dreams
 *   sampled at temperature 1 (predictive-mean.ts), against the same baselines on the same frames.
 * Pixel values are in [0, 1]; MSE in [0, 1]² units; foreground errors pool all masked pixels of all frames.
 * Every pixel metric also carries `ratio_ci95`, the 95 % interval of model / `ratio_baseline` (mean-frame; shuffled
 * actions for the _vs_shuffled one) over the held-out episodes (ratio-interval.ts): is a ratio's change between two
 * checkpoints the model's, or the few episodes'?
 */
export const OPENLOOP_HORIZONS = [1, 5, 10, 20, 50];
export const OPENLOOP_CONTEXT = 5; // PlaNet summaries / Dreamer openl: 5 context frames (mission-anchors §1.2, §3.1)
/**
 * The eval's default filter start: the episode's first frame (every family's state starts there in the env and
 * in WMx's M training). `oneiro eval --context N` gives the earlier protocol (5: every table before session 11).
 */
export const DEFAULT_OPENLOOP_FILTER: OpenLoopFilter = 'episode';

/**
 * The open-loop options of a dream from `start` under `filter`: filtered from filterStartOf(filter, start), the
 * last OPENLOOP_CONTEXT frames of those (fewer when N is smaller) the context the reconstruction and
 * copy-last-frame read. Dream starts (openLoopStarts) are the same under every filter.
 */
export function openLoopWindow(filter: OpenLoopFilter, start: number): { context: number; filterFrom: number } {
  const context = filter === 'episode' ? OPENLOOP_CONTEXT : Math.min(filter, OPENLOOP_CONTEXT);
  return { context, filterFrom: filterStartOf(filter, start) };
}

/** `--context` as given: 'episode' or a whole number of frames ≥ 1 (one line naming what was wrong otherwise). */
export function parseOpenLoopFilter(v: string | number): OpenLoopFilter {
  if (v === 'episode') return v;
  const n = typeof v === 'number' ? v : /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 100_000)
    throw new UserError(`--context must be 'episode' or a whole number of frames from 1, got '${v}'`);
  return n;
}
const STARTS_PER_EPISODE = 4;

// The mean frame lives beside the mask in media/ (the RSSM's foreground-weighted loss uses it too).
export { trainingMeanFrame } from '../media/foreground.ts';

/** Mean reward of the training rows (row 0 carries no reward in the Dreamer layout). */
export function trainingMeanReward(episodes: Episode[]): number {
  let s = 0,
    n = 0;
  for (const ep of episodes)
    for (let t = 1; t < ep.reward.length; t++) {
      s += ep.reward[t];
      n++;
    }
  return n ? s / n : 0;
}

/** Evenly spaced dream starts in an episode (the last context frame), each with the longest horizon that fits. */
export function openLoopStarts(T: number, maxHorizon: number): { starts: number[]; horizon: number } {
  const horizon = Math.min(maxHorizon, T - OPENLOOP_CONTEXT);
  if (horizon < 1) return { starts: [], horizon: 0 };
  const L = OPENLOOP_CONTEXT + horizon;
  const n = Math.min(STARTS_PER_EPISODE, T - L + 1);
  const starts = Array.from(
    { length: n },
    (_, i) => OPENLOOP_CONTEXT - 1 + (n === 1 ? 0 : Math.round((i * (T - L)) / (n - 1))),
  );
  return { starts, horizon };
}

/** The dream's actions (rows start+1 … start+horizon) permuted in time: same actions, wrong order. */
export function shuffledActions(ep: Episode, start: number, horizon: number, rng: Rng): Float32Array {
  const A = ep.actionDim;
  const order = rng.shuffle(Array.from({ length: horizon }, (_, i) => i));
  const out = new Float32Array(horizon * A);
  order.forEach((src, i) => out.set(ep.action.subarray((start + 1 + src) * A, (start + 2 + src) * A), i * A));
  return out;
}

class PixelAcc {
  mse: Record<string, number> = {};
  fgSse: Record<string, number> = {};
  n = 0;
  fgCount = 0;
  pixels = 0;
  fgPixels = 0;
  /**
   * Per episode that gave a frame, in order: the model's and the `ratioTo` baseline's Σ per-frame MSE and Σ
   * foreground SSE — the pooled sums split by episode, for the ratio's interval (ratio-interval.ts): four numbers
   * per episode.
   */
  private epFull: [number[], number[]] = [[], []];
  private epFg: [number[], number[]] = [[], []];
  private lastEpisode = -1;

  /** `names[0]` is the model; `ratioTo` (one of the others) the baseline its ratio and interval are taken to. */
  constructor(
    readonly names: string[],
    readonly ratioTo: string,
  ) {
    if (!names.includes(ratioTo)) throw new Error(`PixelAcc: no baseline '${ratioTo}' among ${names.join(', ')}`);
    for (const k of names) this.mse[k] = this.fgSse[k] = 0;
  }

  /** One true frame of held-out episode `episode` against each prediction ([array, offset] of an S·S·3 frame, 0–255). */
  add(
    episode: number,
    truth: ArrayLike<number>,
    off: number,
    mean: ArrayLike<number>,
    preds: Record<string, [ArrayLike<number>, number]>,
  ) {
    const px = mean.length;
    const mask = foregroundMask(truth, off, mean);
    if (episode !== this.lastEpisode) {
      for (const a of [...this.epFull, ...this.epFg]) a.push(0);
      this.lastEpisode = episode;
    }
    const e = this.epFull[0].length - 1;
    for (const k of this.names) {
      const [a, aOff] = preds[k];
      const mse = pixelMse(a, truth, aOff, off, px);
      const fgSse = maskedSquaredError(a, aOff, truth, off, mask).sse;
      this.mse[k] += mse;
      this.fgSse[k] += fgSse;
      const side = k === this.names[0] ? 0 : k === this.ratioTo ? 1 : null;
      if (side !== null) {
        this.epFull[side][e] += mse;
        this.epFg[side][e] += fgSse;
      }
    }
    const fg = maskedSquaredError(truth, off, truth, off, mask).count;
    this.fgCount += fg;
    this.fgPixels += fg / 3;
    this.pixels += px / 3;
    this.n++;
  }

  /**
   * Writes the full-frame metric as `full` (none when null) and the foreground one as `fg`, each with the 95 %
   * interval of its ratio to `ratioTo` over the episodes (seeded by `seed`). Both pool by summing — per-frame MSE
   * over frames, squared error over masked pixels — so Σ model / Σ baseline over all episodes is model / baseline.
   */
  metrics(full: string | null, fg: string, out: Record<string, EvalMetric>, seed: number): void {
    if (!this.n) return;
    const [model, ...base] = this.names;
    const mean = (k: string) => this.mse[k] / this.n;
    const fgMean = (k: string) => (this.fgCount ? this.fgSse[k] / this.fgCount : NaN);
    const withRatio = (m: EvalMetric, [ofModel, ofBaseline]: [number[], number[]]): EvalMetric => ({
      ...m,
      ratio_baseline: this.ratioTo,
      ratio_ci95: ratioInterval({ model: ofModel, baseline: ofBaseline }, seed),
    });
    if (full)
      out[full] = withRatio(
        metricWithBaselines(mean(model), Object.fromEntries(base.map((k) => [k, mean(k)]))),
        this.epFull,
      );
    out[fg] = withRatio(
      metricWithBaselines(fgMean(model), Object.fromEntries(base.map((k) => [k, fgMean(k)]))),
      this.epFg,
    );
  }
}

export interface OpenLoopMeasures {
  metrics: Record<string, EvalMetric>;
  /** Share of held-out dream-step pixels in the foreground. */
  foregroundFraction: number;
  notes: string[];
}

export async function measureOpenLoop(
  model: LoadedModel,
  episodes: Episode[],
  meanFrame: Float32Array,
  opts: { seed: number; meanReward: number; filter?: OpenLoopFilter; samples?: number },
): Promise<OpenLoopMeasures> {
  const filter = opts.filter ?? DEFAULT_OPENLOOP_FILTER;
  // A model without pixels (reconstruction-free objectives, object graphs) still dreams latents through its
  // latent view: its open-loop reward is measured, its pixel measures are not.
  const latent = model.openloop ? null : (model.latent?.() ?? null);
  if (!model.openloop && !latent) throw new Error('measureOpenLoop: the model has neither pixels nor a latent view');
  const pixels = !!model.openloop;
  const openloop = model.openloop
    ? model.openloop.bind(model)
    : async (ep: Episode, o: OpenLoopOptions) => latentOpenLoop(latent!, ep, o, null);
  const S = model.imageSize;
  const px = S * S * 3;
  if (meanFrame.length !== px) throw new Error(`mean frame has ${meanFrame.length} values, the model sees ${px}`);
  const maxH = Math.max(...OPENLOOP_HORIZONS);
  const acc = new Map(
    OPENLOOP_HORIZONS.map((h) => [h, new PixelAcc(['model', 'copy-last-frame', 'mean-frame'], 'mean-frame')]),
  );
  // Does the dream use its actions? The same dream under the same actions out of order, as its own metric: a model
  // may tie it without being wrong (a passive scene), so it is no baseline of openloop_fg_mse. From 5 steps: one
  // shuffled action hardly moves a frame. Issue 11: the cartpole RSSM's prior ignored its actions (docs/results/small-presets.md).
  const actionHorizons = OPENLOOP_HORIZONS.filter((h) => h >= 5);
  const shuffledAcc = new Map(
    actionHorizons.map((h) => [h, new PixelAcc(['model', 'shuffled actions'], 'shuffled actions')]),
  );
  const recon = new PixelAcc(['model', 'mean-frame'], 'mean-frame');
  // The dream's predictive mean (opt-in: K whole open loops per window), scored as the mode dream is.
  const samples = pixels ? (opts.samples ?? 0) : 0;
  const predMean = new Map(
    (samples ? OPENLOOP_HORIZONS : []).map((h) => [
      h,
      new PixelAcc(['model', 'copy-last-frame', 'mean-frame'], 'mean-frame'),
    ]),
  );
  const sampleSeeds = new Rng(opts.seed + 0x5a3d);
  const rew = { model: 0, mean: 0, shuffled: 0, n: 0, head: false };
  let windows = 0;
  for (const [e, ep] of episodes.entries()) {
    const T = ep.imageShape[0];
    const { starts, horizon } = openLoopStarts(T, maxH);
    for (const start of starts) {
      const o = { start, horizon, ...openLoopWindow(filter, start), temperature: 0, seed: opts.seed };
      const r = await openloop(ep, o);
      // The same dream under shuffled actions, for the pixels' and the reward's action checks: only when either is
      // measured (a latent-only model without a reward head has neither).
      const actions = shuffledActions(ep, start, horizon, new Rng(opts.seed * 7919 + windows));
      const s = pixels || r.reward ? await openloop(ep, { ...o, actions }) : null;
      const nTruth = Math.min(horizon, T - 1 - start);
      const avg = samples ? await predictiveMeanDream(openloop, ep, o, samples, sampleSeeds) : null;
      if (pixels) {
        const nCtx = r.contextIndices.length;
        for (let i = 0; i < nCtx; i++)
          recon.add(e, r.context, i * px, meanFrame, { model: [r.contextRecon, i * px], 'mean-frame': [meanFrame, 0] });
        const last = (nCtx - 1) * px;
        for (const h of OPENLOOP_HORIZONS) {
          if (h > nTruth) continue;
          acc.get(h)!.add(e, r.truth, (h - 1) * px, meanFrame, {
            model: [r.dream, (h - 1) * px],
            'copy-last-frame': [r.context, last],
            'mean-frame': [meanFrame, 0],
          });
          shuffledAcc.get(h)?.add(e, r.truth, (h - 1) * px, meanFrame, {
            model: [r.dream, (h - 1) * px],
            'shuffled actions': [s!.dream, (h - 1) * px],
          });
          predMean.get(h)?.add(e, r.truth, (h - 1) * px, meanFrame, {
            model: [avg!, (h - 1) * px],
            'copy-last-frame': [r.context, last],
            'mean-frame': [meanFrame, 0],
          });
        }
      }
      if (r.reward) {
        rew.head = true;
        for (let k = 1; k <= nTruth; k++) {
          const y = ep.reward[start + k];
          rew.model += (r.reward[k - 1] - y) ** 2;
          rew.shuffled += (s!.reward![k - 1] - y) ** 2;
          rew.mean += (opts.meanReward - y) ** 2;
          rew.n++;
        }
      }
      windows++;
    }
  }
  const metrics: Record<string, EvalMetric> = {};
  if (pixels) {
    // One bootstrap seed for every metric: the intervals of a report are reproducible, run to run.
    const seed = opts.seed;
    recon.metrics('recon_mse', 'recon_fg_mse', metrics, seed);
    for (const [h, a] of acc) a.metrics(`openloop_mse@${h}`, `openloop_fg_mse@${h}`, metrics, seed);
    for (const [h, a] of shuffledAcc) a.metrics(null, `openloop_fg_mse_vs_shuffled@${h}`, metrics, seed);
    for (const [h, a] of predMean)
      a.metrics(`openloop_predmean_mse@${h}`, `openloop_predmean_fg_mse@${h}`, metrics, seed);
  }
  if (rew.n)
    metrics.openloop_reward_mse = metricWithBaselines(rew.model / rew.n, {
      'train-mean reward': rew.mean / rew.n,
      'shuffled actions': rew.shuffled / rew.n,
    });
  const dreamPx = [...acc.values()].reduce((s, a) => s + a.pixels, 0);
  const fgPx = [...acc.values()].reduce((s, a) => s + a.fgPixels, 0);
  const foregroundFraction = dreamPx ? fgPx / dreamPx : NaN;
  const notes: string[] = [];
  if (windows)
    notes.push(
      filter === 'episode'
        ? `open loop: filtered from each held-out episode's first frame up to the dream's start; the last ${OPENLOOP_CONTEXT} observed frames are the context (recon, copy-last-frame)`
        : `open loop: filtered from the ${filter} real frames ending at the dream's start (--context ${filter}; the protocol of tables before session 11 at 5)`,
    );
  if (!windows) notes.push(`no held-out episode is longer than ${OPENLOOP_CONTEXT + 1} frames: no open-loop measures`);
  else if (!pixels)
    notes.push(
      'the model decodes no pixels: no open-loop pixel measures, only the reward of its latent dream (`oneiro dream --view probe` shows it)',
    );
  else
    notes.push(
      `foreground (true frame differs from the training mean frame by > 0.1 in a channel): ${(100 * foregroundFraction).toFixed(2)}% of the dreamed frames' pixels`,
    );
  if (windows && samples)
    notes.push(
      `openloop_predmean_*: the pixel-wise mean of ${samples} dream${samples > 1 ? 's' : ''} sampled at temperature 1 per window (the point prediction that minimises squared error under the model's own distribution; openloop_* score its mode)`,
    );
  if (windows && !rew.head) notes.push('this model has no reward head: no reward measures');
  // At issue 11's horizon: by 50 steps every CPU-sized dream has lost the scene, actions or not.
  const use = metrics['openloop_fg_mse_vs_shuffled@10'];
  if (use && use.model >= 0.95 * use.baseline)
    notes.push(
      `the 10-step dream is about as good with its actions shuffled in time (foreground error ${use.model.toPrecision(3)} vs ${use.baseline.toPrecision(3)}): it hardly uses them`,
    );
  // The foreground error alone can be won without seeing anything: a uniform grey dream is closer to dark objects
  // than the light background the mean frame shows there. Say so where the full frame tells the other story.
  const blurry = OPENLOOP_HORIZONS.filter((h) => {
    const fg = metrics[`openloop_fg_mse@${h}`];
    const full = metrics[`openloop_mse@${h}`];
    return fg && full && fg.model < fg.baselines!['mean-frame'] && full.model > full.baselines!['mean-frame'];
  });
  if (blurry.length)
    notes.push(
      `at horizons ${blurry.join(', ')} the dream beats the mean frame on the foreground but not on the full frame: it is not the background, but not the scene either (e.g. a uniform blur); read openloop_fg_mse with openloop_mse`,
    );
  return { metrics, foregroundFraction, notes };
}
