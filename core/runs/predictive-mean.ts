import type { Episode } from '../data/episode.ts';
import type { OpenLoopOptions, OpenLoopResult } from '../models/family.ts';
import { UserError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { pixelMse } from '../media/frames.ts';

/**
 * The dream's predictive mean: the pixel-wise mean of K dreams sampled from the model's own distribution
 * (temperature 1) under the same actions. Under squared error the best point prediction of an uncertain future is
 * the mean of its distribution, not its mode: a mode dream commits to one future (one pole angle) and, when that
 * is the wrong one, pays twice — where it paints the object and where the object is. The mean-frame baseline is
 * itself a mean, so the eval's `openloop_predmean_*` metrics put the dream on the same footing, and their distance
 * from the mode's `openloop_*` says how much of a dream's error is commitment rather than a wrong model.
 */

/** The largest K `--samples` takes: each sample is a whole open loop, filter included. */
export const MAX_PREDMEAN_SAMPLES = 256;

/** `--samples K` as given: a whole number from 1 to MAX_PREDMEAN_SAMPLES (one line naming what was wrong). */
export function parseSamples(v: string | number): number {
  const n = typeof v === 'number' ? v : /^\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PREDMEAN_SAMPLES)
    throw new UserError(
      `--samples must be a whole number of sampled dreams from 1 to ${MAX_PREDMEAN_SAMPLES}, got '${v}'`,
    );
  return n;
}

/**
 * The mean of `k` dreams of `ep` under `o` sampled at `temperature` (default 1, the model's own distribution), each
 * with its own seed drawn from `rng`, as floats on the dream's 0–255 scale (the frame layout of
 * OpenLoopResult.dream), and the first sample's whole result (its context and truth are every sample's).
 */
async function sampledDreams(
  openloop: (ep: Episode, o: OpenLoopOptions) => Promise<OpenLoopResult>,
  ep: Episode,
  o: OpenLoopOptions,
  k: number,
  rng: Rng,
  temperature: number,
): Promise<{ first: OpenLoopResult; mean: Float32Array; reward: number[] | undefined }> {
  let sum: Float64Array | null = null;
  let first: OpenLoopResult | null = null;
  let reward: number[] | undefined;
  for (let i = 0; i < k; i++) {
    const r = await openloop(ep, { ...o, temperature, seed: rng.int(0x7fffffff), features: false });
    first ??= r;
    sum ??= new Float64Array(r.dream.length);
    for (let j = 0; j < r.dream.length; j++) sum[j] += r.dream[j];
    if (r.reward) {
      reward ??= new Array<number>(r.reward.length).fill(0);
      for (let j = 0; j < reward.length; j++) reward[j] += r.reward[j] / k;
    }
  }
  const mean = new Float32Array(sum?.length ?? 0);
  for (let j = 0; j < mean.length; j++) mean[j] = sum![j] / k;
  return { first: first!, mean, reward };
}

/** The predictive mean of `k` dreams at temperature 1 (the eval's `openloop_predmean_*`), on the 0–255 scale. */
export async function predictiveMeanDream(
  openloop: (ep: Episode, o: OpenLoopOptions) => Promise<OpenLoopResult>,
  ep: Episode,
  o: OpenLoopOptions,
  k: number,
  rng: Rng,
): Promise<Float32Array> {
  return (await sampledDreams(openloop, ep, o, k, rng, 1)).mean;
}

/**
 * The Dream Lab's "mean of K samples": a whole open-loop result whose dream is the pixel-wise mean of `k` dreams at
 * `temperature` (rounded to 8 bits, as every shown frame), with its per-step MSE and predicted reward those of the
 * mean. Seeds come from `seed`, so the same request shows the same picture.
 */
export async function predictiveMeanOpenLoop(
  openloop: (ep: Episode, o: OpenLoopOptions) => Promise<OpenLoopResult>,
  ep: Episode,
  o: OpenLoopOptions,
  k: number,
  temperature: number,
): Promise<OpenLoopResult> {
  const { first, mean, reward } = await sampledDreams(openloop, ep, o, k, new Rng(o.seed), temperature);
  const dream = new Uint8Array(mean.length);
  for (let j = 0; j < dream.length; j++) dream[j] = Math.round(mean[j]);
  const F = first.size * first.size * 3;
  // Score the frames as shown (8-bit); past the episode's end the truth is absent and the MSE stays NaN.
  const mse = first.mse.map((m, i) =>
    Number.isNaN(m) || (i + 1) * F > first.truth.length ? m : pixelMse(dream, first.truth, i * F, i * F, F),
  );
  return { ...first, dream, mse, ...(reward ? { reward } : {}) };
}
