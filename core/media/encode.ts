import sharp from 'sharp';
import { extname } from 'node:path';
import type { RawImage } from './grid.ts';
import { composeGrid } from './grid.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { UserError } from '../util/errors.ts';

/**
 * PNG stills and animated GIF/WebP through sharp. Animations go in as one raw image of stacked pages
 * (height = n·h) with `pageHeight`, which sharp/libvips writes as an n-frame animation.
 */

export type StillFormat = 'png';
export type AnimationFormat = 'gif' | 'webp';

export async function encodePng(img: RawImage): Promise<Uint8Array> {
  return new Uint8Array(
    await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
      .png({ compressionLevel: 9 })
      .toBuffer(),
  );
}

export interface AnimationOptions {
  format: AnimationFormat;
  /** Milliseconds per frame (default 50 = 20 fps, Dreamer's GIF rate). */
  delayMs?: number;
  /** Integer nearest-neighbour upscaling (default 1). */
  scale?: number;
  /** 0 loops forever (default). */
  loop?: number;
  /** WebP only: lossless (default true: frames are small and flat). */
  lossless?: boolean;
}

/** Frames uint8 [n, H, W, 3] → an animated GIF or WebP. */
export async function encodeAnimation(
  frames: Uint8Array,
  n: number,
  H: number,
  W: number,
  opts: AnimationOptions,
): Promise<Uint8Array> {
  if (n < 1) throw new UserError('an animation needs at least one frame');
  const k = opts.scale ?? 1;
  // Stacking the frames vertically (one column) is exactly the page layout sharp expects.
  const rows = Array.from({ length: n }, (_, i) => [frames.subarray(i * H * W * 3, (i + 1) * H * W * 3)]);
  const img = composeGrid(rows, { height: H, width: W, scale: k });
  const pageHeight = H * k;
  const s = sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3, pageHeight } });
  // One entry per frame: a single number only sets the first frame's delay in the written file.
  const delay = new Array(n).fill(Math.max(0, Math.min(65535, Math.round(opts.delayMs ?? 50))));
  const loop = opts.loop ?? 0;
  const out =
    opts.format === 'gif'
      ? // keepDuplicateFrames: libvips otherwise merges identical consecutive frames (a blocked move in shapes-2d,
        // a paused pendulum), so the GIF would have fewer frames than the episode and frame i would not be step i.
        await s.gif({ delay, loop, effort: 7, keepDuplicateFrames: true }).toBuffer()
      : await s.webp({ delay, loop, lossless: opts.lossless ?? true }).toBuffer();
  return new Uint8Array(out);
}

/** The media format a file name asks for. */
export function formatOf(path: string): StillFormat | AnimationFormat {
  const ext = extname(path).toLowerCase().slice(1);
  if (ext === 'png' || ext === 'gif' || ext === 'webp') return ext;
  throw new UserError(`--out ${path}: unsupported extension '.${ext}', expected .png, .gif or .webp`);
}

export function writeMedia(path: string, bytes: Uint8Array): void {
  writeFileAtomic(path, bytes);
}
