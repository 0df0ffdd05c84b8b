import type { Episode } from '../data/episode.ts';
import type { OpenLoopOptions, OpenLoopResult } from '../models/family.ts';
import { UserError } from '../util/errors.ts';
import type { Rng } from '../util/rng.ts';

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
 * The mean of `k` dreams of `ep` under `o` sampled at temperature 1, each with its own seed drawn from `rng`, as
 * floats on the dream's 0–255 scale (the frame layout of OpenLoopResult.dream).
 */
export async function predictiveMeanDream(
  openloop: (ep: Episode, o: OpenLoopOptions) => Promise<OpenLoopResult>,
  ep: Episode,
  o: OpenLoopOptions,
  k: number,
  rng: Rng,
): Promise<Float32Array> {
  let sum: Float64Array | null = null;
  for (let i = 0; i < k; i++) {
    const { dream } = await openloop(ep, { ...o, temperature: 1, seed: rng.int(0x7fffffff), features: false });
    sum ??= new Float64Array(dream.length);
    for (let j = 0; j < dream.length; j++) sum[j] += dream[j];
  }
  const out = new Float32Array(sum?.length ?? 0);
  for (let j = 0; j < out.length; j++) out[j] = sum![j] / k;
  return out;
}
