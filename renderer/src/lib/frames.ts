/**
 * Pure pixel logic for the frame players: RGB → RGBA for ImageData, the error heatmap between a real and a
 * dreamed frame, per-step pixel error and the copy-last-frame baseline, and integer upscaling.
 * No DOM here, so it runs (and is unit-tested) in Node as well as in the renderer.
 */
import { signedErrorImage } from '../../../core/contract/error-image.ts';
import { colormap } from './colormap.ts';

/** Copies an H×W×3 RGB frame into an H×W×4 RGBA buffer (alpha 255), reusing `out` when it fits. */
export function rgbToRgba(rgb: Uint8Array, width: number, height: number, out?: Uint8ClampedArray): Uint8ClampedArray {
  const n = width * height;
  if (rgb.length !== n * 3) {
    throw new Error(`frame has ${rgb.length} bytes, expected ${n * 3} for ${width}×${height} RGB`);
  }
  const rgba = out && out.length === n * 4 ? out : new Uint8ClampedArray(n * 4);
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    const k = i * 4;
    rgba[k] = rgb[j];
    rgba[k + 1] = rgb[j + 1];
    rgba[k + 2] = rgb[j + 2];
    rgba[k + 3] = 255;
  }
  return rgba;
}

export type ErrorStyle = 'heat' | 'signed';

/**
 * Error frame between truth and model, RGB like the inputs.
 * 'heat': mean absolute error over channels in [0,1], scaled by `gain` and coloured with the heat map.
 * 'signed': Dreamer's convention, error = (model − truth + 1) / 2 per channel, so grey means no error;
 * the same function, byte for byte, as the exported strip's error row (core/contract/error-image.ts).
 */
export function errorFrame(
  real: Uint8Array,
  dream: Uint8Array,
  style: ErrorStyle = 'heat',
  gain = 1,
  out?: Uint8Array,
): Uint8Array {
  if (real.length !== dream.length) {
    throw new Error(
      `real frame has ${real.length} bytes but dream frame has ${dream.length}: both must be the same H×W×3`,
    );
  }
  const res = out && out.length === real.length ? out : new Uint8Array(real.length);
  if (style === 'signed') {
    return signedErrorImage(dream, real, res);
  }
  for (let p = 0; p < real.length; p += 3) {
    const e =
      (Math.abs(dream[p] - real[p]) + Math.abs(dream[p + 1] - real[p + 1]) + Math.abs(dream[p + 2] - real[p + 2])) /
      (3 * 255);
    const c = colormap(Math.min(1, e * gain));
    res[p] = c[0];
    res[p + 1] = c[1];
    res[p + 2] = c[2];
  }
  return res;
}

/** Mean squared pixel error with pixels in [0,1] — the unit the evaluation (`openloop_mse@k`) reports. */
export function frameMse(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error(`frames differ in size (${a.length} vs ${b.length} bytes)`);
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] - b[i]) / 255;
    s += d * d;
  }
  return a.length ? s / a.length : 0;
}

/**
 * Per-step errors of a rollout against the truth, and of the copy-last-frame baseline, which predicts that
 * every imagined frame equals the last context frame. Context steps get the baseline error 0 by definition.
 */
export function rolloutErrors(
  real: Uint8Array[],
  dream: Uint8Array[],
  context: number,
): { model: number[]; baseline: number[] } {
  if (real.length !== dream.length)
    throw new Error(`rollout has ${real.length} real frames but ${dream.length} dreamed ones`);
  if (context < 1 || context > real.length) throw new Error(`context must be in 1..${real.length}, got ${context}`);
  const last = real[context - 1];
  const model = real.map((r, t) => frameMse(r, dream[t]));
  const baseline = real.map((r, t) => (t < context ? 0 : frameMse(r, last)));
  return { model, baseline };
}

/** Largest integer scale at which a w×h frame fits in a box (at least 1): integer scales keep pixels square. */
export function fitScale(width: number, height: number, boxWidth: number, boxHeight: number): number {
  if (width <= 0 || height <= 0) return 1;
  return Math.max(1, Math.floor(Math.min(boxWidth / width, boxHeight / height)));
}

/** True when any pixel differs from the first one: a canvas that shows a real frame is not a flat fill. */
export function isBlank(rgb: ArrayLike<number>, channels = 3): boolean {
  for (let i = channels; i < rgb.length; i++) if (rgb[i] !== rgb[i % channels]) return false;
  return true;
}

/** Slices frame t out of a packed [T,H,W,3] buffer without copying. */
export function frameAt(images: Uint8Array, t: number, width: number, height: number): Uint8Array {
  const size = width * height * 3;
  const start = t * size;
  if (t < 0 || start + size > images.length) {
    throw new Error(
      `frame ${t} is out of range: the buffer holds ${Math.floor(images.length / size)} frames of ${width}×${height}`,
    );
  }
  return images.subarray(start, start + size);
}
