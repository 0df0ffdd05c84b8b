/**
 * The mean-frame baseline and the foreground mask (issue 11): full-frame pixel error is dominated by the
 * background (on cartpole-swingup ~98% of the pixels never change), so a model that paints the background
 * scores well on it. The foreground of a true frame is where it differs from the training episodes' mean
 * frame by more than FOREGROUND_THRESHOLD in any channel (pixels in [0, 1]); the foreground-weighted error
 * is the squared error over those pixels only, so a dream of the background scores as badly as the mean
 * frame itself does there.
 */

import { resizeFrames } from './frames.ts';

/** Pixels in [0, 1]: a channel differing from the mean frame by more than this marks a foreground pixel. */
export const FOREGROUND_THRESHOLD = 0.1;

/** Running per-pixel-channel mean of uint8 frames [n, S, S, 3] (0–255 scale, unrounded). */
export class MeanFrame {
  private readonly sum: Float64Array;
  private n = 0;

  constructor(readonly px: number) {
    this.sum = new Float64Array(px);
  }

  add(frames: ArrayLike<number>, n: number): void {
    const px = this.px;
    if (frames.length !== n * px) throw new Error(`MeanFrame.add: expected ${n}·${px} values, got ${frames.length}`);
    for (let t = 0; t < n; t++) for (let i = 0; i < px; i++) this.sum[i] += frames[t * px + i];
    this.n += n;
  }

  get frames(): number {
    return this.n;
  }

  /** The mean frame, 0–255 scale; null before any frame was added. */
  mean(): Float32Array | null {
    if (this.n === 0) return null;
    return Float32Array.from(this.sum, (s) => s / this.n);
  }
}

/** Mean frame of episodes (uint8 [T, H, H, 3] each) resized to `size` (0–255 scale), or null when there are no frames. */
export function trainingMeanFrame(
  episodes: Iterable<{ image: Uint8Array; imageShape: readonly number[] }>,
  size: number,
): Float32Array | null {
  const m = new MeanFrame(size * size * 3);
  for (const ep of episodes) {
    const [T, H] = ep.imageShape;
    m.add(resizeFrames(ep.image, T, H, size), T);
  }
  return m.mean();
}

/**
 * Foreground mask of one true frame (S·S·3 values at `off`, 0–255) against the mean frame: 1 per pixel where
 * any channel differs by more than `threshold` (in [0, 1] units). Returns [S·S] 0/1.
 */
export function foregroundMask(
  truth: ArrayLike<number>,
  off: number,
  mean: ArrayLike<number>,
  threshold = FOREGROUND_THRESHOLD,
): Uint8Array {
  const pixels = mean.length / 3;
  const mask = new Uint8Array(pixels);
  const lim = threshold * 255;
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < 3; c++) {
      if (Math.abs(truth[off + p * 3 + c] - mean[p * 3 + c]) > lim) {
        mask[p] = 1;
        break;
      }
    }
  }
  return mask;
}

/**
 * Sum of squared errors in [0, 1]² units over the masked pixels (all three channels) of two frames, and the
 * number of pixel-channels summed: pooled over frames, Σ sse / Σ count is the foreground-weighted MSE.
 */
export function maskedSquaredError(
  a: ArrayLike<number>,
  aOff: number,
  b: ArrayLike<number>,
  bOff: number,
  mask: Uint8Array,
): { sse: number; count: number } {
  let sse = 0,
    count = 0;
  for (let p = 0; p < mask.length; p++) {
    if (!mask[p]) continue;
    for (let c = 0; c < 3; c++) {
      const d = (a[aOff + p * 3 + c] - b[bOff + p * 3 + c]) / 255;
      sse += d * d;
    }
    count += 3;
  }
  return { sse, count };
}

/**
 * Per-pixel loss weights of n frames (uint8 [n, S, S, 3] at the mean frame's size): `weight` on each frame's
 * foreground (foregroundMask against the mean frame), 1 elsewhere. Returns [n·S·S].
 */
export function foregroundWeights(
  frames: ArrayLike<number>,
  n: number,
  mean: ArrayLike<number>,
  weight: number,
): Float32Array {
  const px = mean.length;
  if (frames.length !== n * px) throw new Error(`foregroundWeights: expected ${n}·${px} values, got ${frames.length}`);
  const pixels = px / 3;
  const out = new Float32Array(n * pixels).fill(1);
  for (let t = 0; t < n; t++) {
    const mask = foregroundMask(frames, t * px, mean);
    for (let p = 0; p < pixels; p++) if (mask[p]) out[t * pixels + p] = weight;
  }
  return out;
}
