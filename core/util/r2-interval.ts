/**
 * How far an R² measured on a few held-out episodes can be trusted: a percentile bootstrap over episodes (Efron &
 * Tibshirani 1993, ch. 13), the episode the unit that is resampled because frames within an episode are not
 * independent. Car-racing is why (session 13): the same World Models checkpoint read track-offset R² 0.58 on the 28
 * episodes its run held out and −0.01 on 100 fresh ones, since a few episodes that leave the road carry most of the
 * variance. The interval says so next to the number.
 */
import { bootstrapInterval } from './bootstrap.ts';

/** Per group (episode) and target column: row count, Σy, Σy², Σ(y − ŷ)² — enough for R² over any union of groups. */
export interface R2Sums {
  groups: number;
  targets: number;
  n: Float64Array; // [G]
  sy: Float64Array; // [G, D]
  syy: Float64Array; // [G, D]
  sse: Float64Array; // [G, D]
}

/** Sums of rows [N, D] split into consecutive groups of the given sizes (their sum must be N). */
export function r2Sums(y: ArrayLike<number>, yHat: ArrayLike<number>, sizes: number[]): R2Sums {
  const N = sizes.reduce((a, b) => a + b, 0);
  const D = N ? y.length / N : 0;
  if (!Number.isInteger(D) || y.length !== N * D || yHat.length !== y.length)
    throw new Error('r2Sums: y, ŷ and the group sizes disagree');
  const G = sizes.length;
  const s: R2Sums = {
    groups: G,
    targets: D,
    n: Float64Array.from(sizes),
    sy: new Float64Array(G * D),
    syy: new Float64Array(G * D),
    sse: new Float64Array(G * D),
  };
  let row = 0;
  for (let g = 0; g < G; g++)
    for (let k = 0; k < sizes[g]; k++, row++)
      for (let d = 0; d < D; d++) {
        const v = y[row * D + d];
        s.sy[g * D + d] += v;
        s.syy[g * D + d] += v * v;
        s.sse[g * D + d] += (v - yHat[row * D + d]) ** 2;
      }
  return s;
}

/** R² per target over the rows of the listed groups (a group listed twice counts twice), as r2Score on those rows. */
export function r2OfGroups(s: R2Sums, idx: ArrayLike<number>): number[] {
  const D = s.targets;
  let n = 0;
  const sy = new Float64Array(D),
    syy = new Float64Array(D),
    sse = new Float64Array(D);
  for (let i = 0; i < idx.length; i++) {
    const g = idx[i];
    n += s.n[g];
    for (let d = 0; d < D; d++) {
      sy[d] += s.sy[g * D + d];
      syy[d] += s.syy[g * D + d];
      sse[d] += s.sse[g * D + d];
    }
  }
  return Array.from({ length: D }, (_, d) => {
    const tot = syy[d] - (sy[d] * sy[d]) / n;
    return tot > 1e-12 * n ? 1 - sse[d] / tot : NaN;
  });
}

/**
 * The central 95 % percentile bootstrap interval of each target's R², resampling whole groups with replacement
 * `draws` times (bootstrap.ts; seeded: the same data give the same interval). Resamples with no variance in a target
 * are left out of its interval; [NaN, NaN] when fewer than two groups.
 */
export function r2Interval(s: R2Sums, seed: number, draws = 1000): [number, number][] {
  return bootstrapInterval(s.groups, s.targets, (idx) => r2OfGroups(s, idx), seed, draws);
}
