import type { ProbeCalibrationBin } from './channels.ts';

/**
 * How a probe's read by true value is written (probe_calibration). It lives in the contract because two places
 * write it: `oneiro eval`'s text and measure-small (through `calibrationText`), and the Evaluation panel's tooltips
 * (the renderer, which may import only core/contract). One formatter keeps them writing the same numbers.
 */

/** A bin's value: two decimals under 10 in size, one from there; a typographic minus. */
export function calibrationValue(x: number): string {
  return (Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2)).replace('-', '−');
}

/** "−20.1→−9.60 (31 %)": each bin's mean true value, its mean read and its share of the squared error. */
export function calibrationText(bins: readonly ProbeCalibrationBin[]): string {
  const f = calibrationValue;
  return bins.map((b) => `${f(b.truth)}→${f(b.read)} (${Math.round(100 * b.error_share)} %)`).join('  ');
}
