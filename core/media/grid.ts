import { UserError } from '../util/errors.ts';
import { signedErrorImage } from '../contract/error-image.ts';

/**
 * Frame layouts as raw RGB images: filmstrips (frames side by side, wrapping into rows) and grids of rows
 * such as Dreamer's open-loop view (truth / model / error; reference/mission-anchors.md §3.1): pixelated
 * (nearest-neighbour) upscaling by an integer factor, and a coloured border per column to mark context
 * frames (green) versus imagined ones (red), as dreamerv3/agent.py `report` does.
 */

export type Rgb = readonly [number, number, number];

/** A raw RGB image, row-major, 3 bytes per pixel. */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
}

export const CONTEXT_GREEN: Rgb = [0, 255, 0];
export const IMAGINED_RED: Rgb = [255, 0, 0];

export interface GridOptions {
  /** Frame height and width in pixels (every frame is H×W×3). */
  height: number;
  width: number;
  /** Integer upscaling factor, nearest neighbour (default 1). */
  scale?: number;
  /** Pixels between cells, after scaling (default 0). */
  gap?: number;
  /** Fill for gaps and for missing cells of short rows (default black). */
  background?: Rgb;
  /** Colour of the border drawn over the outer pixels of every frame in a column, or null for none. */
  columnBorder?: (col: number) => Rgb | null;
  /** Border width in frame pixels, before scaling (default 2, as Dreamer). */
  borderWidth?: number;
}

function checkInt(name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new UserError(`${name} must be an integer >= ${min}, got ${v}`);
}

/** Lays rows of frames out as one image; rows may have different lengths (shorter ones are padded). */
export function composeGrid(rows: Uint8Array[][], opts: GridOptions): RawImage {
  const { height: H, width: W } = opts;
  const k = opts.scale ?? 1;
  const gap = opts.gap ?? 0;
  const bw = opts.borderWidth ?? 2;
  checkInt('frame height', H, 1);
  checkInt('frame width', W, 1);
  checkInt('scale', k, 1);
  checkInt('gap', gap, 0);
  const cols = Math.max(0, ...rows.map((r) => r.length));
  if (rows.length === 0 || cols === 0) throw new UserError('composeGrid needs at least one frame');
  const cw = W * k;
  const ch = H * k;
  const width = cols * cw + (cols - 1) * gap;
  const height = rows.length * ch + (rows.length - 1) * gap;
  const data = new Uint8Array(width * height * 3);
  const bg = opts.background ?? [0, 0, 0];
  if (bg[0] || bg[1] || bg[2]) for (let p = 0; p < width * height; p++) data.set(bg, p * 3);
  rows.forEach((row, r) => {
    row.forEach((frame, c) => {
      if (frame.length !== H * W * 3)
        throw new UserError(`frame (${r}, ${c}) has ${frame.length} bytes, expected ${H}×${W}×3 = ${H * W * 3}`);
      const border = opts.columnBorder?.(c) ?? null;
      const x0 = c * (cw + gap);
      const y0 = r * (ch + gap);
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const onBorder = border !== null && (x < bw || y < bw || x >= W - bw || y >= H - bw);
          const s = (y * W + x) * 3;
          const R = onBorder ? border[0] : frame[s];
          const G = onBorder ? border[1] : frame[s + 1];
          const B = onBorder ? border[2] : frame[s + 2];
          for (let dy = 0; dy < k; dy++) {
            let d = ((y0 + y * k + dy) * width + x0 + x * k) * 3;
            for (let dx = 0; dx < k; dx++, d += 3) {
              data[d] = R;
              data[d + 1] = G;
              data[d + 2] = B;
            }
          }
        }
      }
    });
  });
  return { data, width, height };
}

/** Splits n stacked frames (uint8 [n, H, W, 3]) into one view per frame. */
export function splitFrames(frames: Uint8Array, n: number, H: number, W: number): Uint8Array[] {
  const size = H * W * 3;
  if (frames.length !== n * size)
    throw new UserError(`expected ${n} frames of ${H}×${W}×3 (${n * size} bytes), got ${frames.length}`);
  return Array.from({ length: n }, (_, i) => frames.subarray(i * size, (i + 1) * size));
}

export interface FilmstripOptions {
  scale?: number;
  /** Frames per row; default all in one row. */
  columns?: number;
  gap?: number;
  background?: Rgb;
}

/** Frames side by side, wrapping every `columns` frames. */
export function filmstrip(frames: Uint8Array, n: number, H: number, W: number, opts: FilmstripOptions = {}): RawImage {
  const all = splitFrames(frames, n, H, W);
  const per = opts.columns ?? n;
  checkInt('columns', per, 1);
  const rows: Uint8Array[][] = [];
  for (let i = 0; i < all.length; i += per) rows.push(all.slice(i, i + per));
  return composeGrid(rows, { height: H, width: W, scale: opts.scale, gap: opts.gap, background: opts.background });
}

/** Dreamer's signed error image, the one the UI draws too (core/contract/error-image.ts). */
export function errorFrame(model: Uint8Array, truth: Uint8Array): Uint8Array {
  if (model.length !== truth.length)
    throw new UserError(`error frame: model has ${model.length} bytes, truth ${truth.length}`);
  return signedErrorImage(model, truth);
}

/**
 * The open-loop strip: rows truth / model / error over time, green borders on the first `context` columns
 * (frames the model observed) and red on the rest (imagined).
 */
export function openLoopGrid(
  truth: Uint8Array[],
  model: Uint8Array[],
  context: number,
  opts: Omit<GridOptions, 'columnBorder'>,
): RawImage {
  if (truth.length !== model.length)
    throw new UserError(`open-loop grid: ${truth.length} truth frames but ${model.length} model frames`);
  const error = model.map((m, t) => errorFrame(m, truth[t]));
  return composeGrid([truth, model, error], {
    ...opts,
    columnBorder: (c) => (c < context ? CONTEXT_GREEN : IMAGINED_RED),
  });
}
