/**
 * Frame utilities shared by evaluation and dreams: resizing uint8 RGB frames between a dataset's size
 * and a model's, and pixel errors in [0, 1]² units.
 */

/** n square frames [n, from, from, 3] → [n, to, to, 3]: box average for integer downscales, else nearest. */
export function resizeFrames(data: Uint8Array, n: number, from: number, to: number): Uint8Array {
  if (from === to) return data;
  const out = new Uint8Array(n * to * to * 3);
  const f = from / to;
  const box = Number.isInteger(f) && f > 1;
  for (let i = 0; i < n; i++) {
    const src = i * from * from * 3;
    const dst = i * to * to * 3;
    for (let y = 0; y < to; y++) {
      for (let x = 0; x < to; x++) {
        for (let c = 0; c < 3; c++) {
          let v: number;
          if (box) {
            let s = 0;
            for (let dy = 0; dy < f; dy++)
              for (let dx = 0; dx < f; dx++) s += data[src + ((y * f + dy) * from + x * f + dx) * 3 + c];
            v = Math.round(s / (f * f));
          } else {
            const sy = Math.min(from - 1, Math.floor((y + 0.5) * f));
            const sx = Math.min(from - 1, Math.floor((x + 0.5) * f));
            v = data[src + (sy * from + sx) * 3 + c];
          }
          out[dst + (y * to + x) * 3 + c] = v;
        }
      }
    }
  }
  return out;
}

/** Mean squared error per pixel channel in [0, 1] units between two uint8 frames (same length). */
export function pixelMse(a: ArrayLike<number>, b: ArrayLike<number>, aOff = 0, bOff = 0, len = a.length): number {
  let s = 0;
  for (let i = 0; i < len; i++) {
    const d = (a[aOff + i] - b[bOff + i]) / 255;
    s += d * d;
  }
  return s / len;
}

/** Float [0, 1] values → uint8. */
export function toUint8(x: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.max(0, Math.min(255, Math.round(x[i] * 255)));
  return out;
}
