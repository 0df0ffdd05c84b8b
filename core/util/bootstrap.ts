/**
 * The percentile bootstrap over groups (Efron & Tibshirani 1993, ch. 13), the one resampling loop every interval
 * over held-out episodes shares (a probe's R², r2-interval.ts; an open-loop error against its baseline,
 * ratio-interval.ts; two policies' paired returns, scripts/claim.ts): the group — an episode — is the unit
 * resampled, since rows within an episode are not independent. Seeded, so the same data give the same interval.
 */
import { Rng } from './rng.ts';

/**
 * The central 95 % interval of each of a statistic's `outputs` values over `draws` resamples of the `groups` groups
 * with replacement (a resample lists group indices; a group drawn twice counts twice). A resample whose value is not
 * finite (e.g. no variance, a zero denominator) is left out of that value's interval; [NaN, NaN] when no resample
 * gives a finite value, or when fewer than `minGroups` groups (an interval from one group says nothing).
 * `idx` is one buffer refilled for every resample (no index array per resample): a stat reads it and must not keep it;
 * it sums through the indices rather than copying the groups out (ratioOfGroups, r2OfGroups, claim.ts).
 */
export function bootstrapInterval(
  groups: number,
  outputs: number,
  stat: (idx: Int32Array) => ArrayLike<number>,
  seed: number,
  draws = 1000,
  minGroups = 2,
): [number, number][] {
  if (groups < minGroups || groups < 1) return Array.from({ length: outputs }, () => [NaN, NaN]);
  const rng = new Rng(seed);
  const per: number[][] = Array.from({ length: outputs }, () => []);
  const idx = new Int32Array(groups);
  for (let b = 0; b < draws; b++) {
    for (let i = 0; i < groups; i++) idx[i] = rng.int(groups);
    const v = stat(idx);
    for (let d = 0; d < outputs; d++) if (Number.isFinite(v[d])) per[d].push(v[d]);
  }
  return per.map((v) => {
    if (!v.length) return [NaN, NaN];
    v.sort((a, b) => a - b);
    const q = (p: number) => v[Math.min(v.length - 1, Math.max(0, Math.round(p * (v.length - 1))))];
    return [q(0.025), q(0.975)];
  });
}
