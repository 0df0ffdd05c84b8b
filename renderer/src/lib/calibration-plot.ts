import type { ProbeCalibrationBin } from '../../../core/contract/channels.ts';
import { calibrationValue as fmt } from '../../../core/contract/calibration-text.ts';

/** A bin as drawn: its mean true value across, its mean read up, its area by its rows, its colour by its error. */
export interface CalibrationPoint {
  cx: number;
  cy: number;
  r: number;
  /** The bin's share of the squared error, 0–1 (the dot's colour). */
  share: number;
  title: string;
}

export interface CalibrationPlot {
  points: CalibrationPoint[];
  /** The read = truth line across the plot, in pixels. */
  diagonal: { x1: number; y1: number; x2: number; y2: number };
  /** The value range both axes show (one scale, so the diagonal is at 45°). */
  min: number;
  max: number;
}

const PAD = 6;
const MAX_R = 7;
const MIN_R = 1.5;

/**
 * Where a probe's read leaves the diagonal, as points on a size×size plot: x the bin's mean true value, y its mean
 * read, one scale for both. A read that saturates bends away from the diagonal at the ends; a dot's area is its
 * share of the rows, its colour its share of the squared error.
 */
export function calibrationPlot(bins: readonly ProbeCalibrationBin[], size: number): CalibrationPlot | null {
  if (!bins.length) return null;
  const values = bins.flatMap((b) => [b.truth, b.read]);
  let min = Math.min(...values);
  let max = Math.max(...values);
  if (!(max > min)) [min, max] = [min - 1, max + 1];
  const span = size - 2 * PAD;
  const px = (v: number) => PAD + ((v - min) / (max - min)) * span;
  const py = (v: number) => size - px(v);
  const most = Math.max(...bins.map((b) => b.n));
  const points = bins.map((b) => ({
    cx: px(b.truth),
    cy: py(b.read),
    r: Math.max(MIN_R, MAX_R * Math.sqrt(b.n / most)),
    share: b.error_share,
    title: `true ${fmt(b.lo)} to ${fmt(b.hi)} (${b.n} frames): mean ${fmt(b.truth)}, read ${fmt(b.read)}, ${Math.round(100 * b.error_share)} % of the squared error`,
  }));
  return { points, diagonal: { x1: px(min), y1: py(min), x2: px(max), y2: py(max) }, min, max };
}

/** A dot's colour: grey where the bin holds little of the error, red where it holds most. */
export function shareColor(share: number): string {
  const s = Math.min(1, Math.max(0, share));
  const mix = (a: number, b: number) => Math.round(a + (b - a) * Math.sqrt(s));
  return `rgb(${mix(110, 245)}, ${mix(122, 70)}, ${mix(135, 80)})`;
}
