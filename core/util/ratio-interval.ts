/**
 * How far a model's error relative to a baseline's, measured on a few held-out episodes, can be trusted: a paired
 * percentile bootstrap over episodes (bootstrap.ts). Issue 11's dream target is such a ratio (foreground error at 10
 * steps ≤ 50 % of the mean frame's); on one cartpole RSSM it read 0.49 / 0.65 / 0.61 at checkpoints 300 steps apart
 * on the same 33 episodes (docs/results/small-presets.md, session 18), and without an interval nobody could say whether the model moved or
 * the episodes' sampling noise did. Paired: each resample sums the model's and the baseline's errors over the same
 * episodes, so an episode hard for both raises both sums rather than the ratio alone.
 */
import { bootstrapInterval } from './bootstrap.ts';

/** Per group (episode): the model's and the baseline's summed errors, pooled as the point metric pools them. */
export interface RatioSums {
  model: ArrayLike<number>;
  baseline: ArrayLike<number>;
}

/** Σ model / Σ baseline over the listed groups (a group listed twice counts twice); NaN when Σ baseline is 0. */
export function ratioOfGroups(s: RatioSums, idx: ArrayLike<number>): number {
  let m = 0,
    b = 0;
  for (let i = 0; i < idx.length; i++) {
    m += s.model[idx[i]];
    b += s.baseline[idx[i]];
  }
  return b > 0 ? m / b : NaN;
}

/**
 * The central 95 % interval of Σ model / Σ baseline, resampling whole groups with replacement `draws` times (seeded:
 * the same sums give the same interval); [NaN, NaN] with fewer than two groups.
 */
export function ratioInterval(s: RatioSums, seed: number, draws = 1000): [number, number] {
  if (s.model.length !== s.baseline.length)
    throw new Error(`ratioInterval: ${s.model.length} model sums but ${s.baseline.length} baseline sums`);
  return bootstrapInterval(s.model.length, 1, (idx) => [ratioOfGroups(s, idx)], seed, draws)[0];
}
