import type { ProbeCalibrationBin } from '../contract/channels.ts';

/**
 * The state probe's read against the true value, in bins of the true value: an R² says how much of a variable the
 * features carry, this says where the rest is lost. Session 33 found by hand that car-racing's track offset reads
 * to ≈ 10 while the car is 17–28 off the centre line (the read saturates past the road's edge); this table shows
 * such a thing in every eval.
 *
 * Bins are equal-width between the 1st and 99th percentiles of the true value, the outer two reaching the extremes
 * (quantile bins would spend every bin on the bulk, where the read is good, and one on the tail, where it is not).
 */
export const CALIBRATION_BINS = 8;

/** Per target column of y [n, D] and its read yHat [n, D]: the non-empty bins, in order of the true value. */
export function probeCalibration(
  y: ArrayLike<number>,
  yHat: ArrayLike<number>,
  n: number,
  bins = CALIBRATION_BINS,
): ProbeCalibrationBin[][] {
  if (n < 1) return [];
  if (y.length !== yHat.length || y.length % n !== 0)
    throw new Error(`probe calibration: expected two [${n}, D] arrays, got ${y.length} and ${yHat.length} values`);
  const D = y.length / n;
  return Array.from({ length: D }, (_, d) => {
    // A row whose truth or read is not finite (a diverged feature) has no place on the plot: it is left out.
    const rows = Array.from({ length: n }, (_, i) => i).filter(
      (i) => Number.isFinite(y[i * D + d]) && Number.isFinite(yHat[i * D + d]),
    );
    if (!rows.length) return [];
    const v = Float64Array.from(rows, (i) => y[i * D + d]);
    const read = Float64Array.from(rows, (i) => yHat[i * D + d]);
    const m = rows.length;
    const sorted = Float64Array.from(v).sort();
    const q = (p: number) => sorted[Math.min(m - 1, Math.floor(p * (m - 1)))];
    const lo = q(0.01);
    const width = (q(0.99) - lo) / bins;
    const B = width > 0 ? bins : 1;
    const acc = Array.from({ length: B }, () => ({ n: 0, truth: 0, read: 0, sq: 0, lo: Infinity, hi: -Infinity }));
    let sqTotal = 0;
    for (let i = 0; i < m; i++) {
      const t = v[i];
      const r = read[i];
      const b = B === 1 ? 0 : Math.min(B - 1, Math.max(0, Math.floor((t - lo) / width)));
      const a = acc[b];
      a.n++;
      a.truth += t;
      a.read += r;
      a.sq += (r - t) ** 2;
      a.lo = Math.min(a.lo, t);
      a.hi = Math.max(a.hi, t);
      sqTotal += (r - t) ** 2;
    }
    return acc
      .map((a, b) => ({
        // The nominal edges, except where the outer bins reach past the percentiles.
        lo: b === 0 ? a.lo : lo + b * width,
        hi: b === B - 1 ? a.hi : lo + (b + 1) * width,
        n: a.n,
        truth: a.truth / Math.max(a.n, 1),
        read: a.read / Math.max(a.n, 1),
        error_share: sqTotal > 0 ? a.sq / sqTotal : 0,
      }))
      .filter((a) => a.n > 0);
  });
}
