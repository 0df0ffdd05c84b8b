import type { Rng } from '../../../util/rng.ts';
import type { TrainArrays } from '../batch.ts';

/**
 * DreamerPro's two augmented views (fdeng18/dreamer-pro DreamerPro/dreamerv2/agent.py `preprocess(aug=True)`,
 * DreamerPro/common/other.py `random_translate` with bilinear=True, same_across_time=True): the batch is duplicated
 * along B and every sequence is translated by a shift (dx, dy) drawn uniformly in [−maxShift, maxShift]², the same
 * for all its time steps, with bilinear interpolation and edge pixels repeated outside the frame (fill_mode
 * 'nearest'). Done on the host: the frames arrive from the replay on the host anyway.
 */

/** Translates one frame [S, S, 3] (any numeric array) by (dx, dy): out(x, y) = in(x − dx, y − dy), bilinear. */
export function translateFrame(
  src: ArrayLike<number>,
  srcOff: number,
  dst: Float32Array,
  dstOff: number,
  S: number,
  dx: number,
  dy: number,
): void {
  const clamp = (v: number) => Math.min(S - 1, Math.max(0, v));
  for (let y = 0; y < S; y++) {
    const sy = clamp(y - dy);
    const y0 = Math.floor(sy);
    const y1 = Math.min(S - 1, y0 + 1);
    const fy = sy - y0;
    for (let x = 0; x < S; x++) {
      const sx = clamp(x - dx);
      const x0 = Math.floor(sx);
      const x1 = Math.min(S - 1, x0 + 1);
      const fx = sx - x0;
      const w00 = (1 - fx) * (1 - fy),
        w01 = fx * (1 - fy),
        w10 = (1 - fx) * fy,
        w11 = fx * fy;
      const a = srcOff + (y0 * S + x0) * 3,
        b = srcOff + (y0 * S + x1) * 3,
        c = srcOff + (y1 * S + x0) * 3,
        d = srcOff + (y1 * S + x1) * 3;
      const o = dstOff + (y * S + x) * 3;
      for (let ch = 0; ch < 3; ch++)
        dst[o + ch] = w00 * src[a + ch] + w01 * src[b + ch] + w10 * src[c + ch] + w11 * src[d + ch];
    }
  }
}

/** The shifts of 2B sequences: [2B, 2] as (dx, dy), one per sequence. */
export function drawShifts(n: number, maxShift: number, rng: Rng): Float32Array {
  const out = new Float32Array(2 * n);
  for (let i = 0; i < 2 * n; i++) out[i] = rng.uniform(-maxShift, maxShift);
  return out;
}

/** Two views of B windows: rows 0..B−1 view 1, B..2B−1 view 2 (the same windows), each sequence shifted. */
export function twoShiftedViews(a: TrainArrays, S: number, shifts: Float32Array): TrainArrays {
  const { B, L } = a;
  const px = S * S * 3;
  if (shifts.length !== 4 * B) throw new Error(`expected ${2 * B} shifts, got ${shifts.length / 2}`);
  const image = new Float32Array(2 * B * L * px);
  for (let v = 0; v < 2; v++)
    for (let b = 0; b < B; b++) {
      const i = v * B + b;
      for (let t = 0; t < L; t++)
        translateFrame(a.image, (b * L + t) * px, image, (i * L + t) * px, S, shifts[2 * i], shifts[2 * i + 1]);
    }
  const twice = <T extends Float32Array | Uint8Array>(x: T): T => {
    const out = new (x.constructor as new (n: number) => T)(2 * x.length);
    out.set(x);
    out.set(x, x.length);
    return out;
  };
  return {
    image,
    action: twice(a.action),
    reward: twice(a.reward),
    cont: twice(a.cont),
    isFirst: twice(a.isFirst),
    B: 2 * B,
    L,
  };
}
