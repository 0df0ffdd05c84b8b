import sharp, { type Metadata } from 'sharp';
import { readdirSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import type { VideoFrames } from '../envs/background.ts';
import { UserError } from '../util/errors.ts';

/**
 * A user-given distractor clip (issue 15, item 3): a folder of images (one frame each, in natural name order:
 * frame2 before frame10) or one image file (every page of an animated GIF/WebP; a still is a one-frame clip),
 * read with sharp, alpha dropped, resized to size×size by covering the square and cropping the centre (no
 * distortion). The env cycles the frames (core/envs/background.ts); this runs before the env is made because sharp
 * is asynchronous.
 */

/** Extensions read from a folder (sharp's built-in decoders). */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.gif', '.avif', '.tif', '.tiff'];

/** More frames than this is refused (5000 × 64 × 64 × 3 bytes = 61 MB, about 4 minutes of 20 fps video). */
export const MAX_BACKGROUND_FRAMES = 5000;

export async function loadBackgroundFrames(path: string, size: number): Promise<VideoFrames> {
  const source = resolve(path);
  let isDir: boolean;
  try {
    isDir = statSync(source).isDirectory();
  } catch {
    throw new UserError(
      `background video '${path}': no such file or folder (expected a folder of images or an animated GIF/WebP)`,
    );
  }
  const pages: { file: string; page: number }[] = [];
  if (isDir) {
    const files = readdirSync(source)
      .filter((f) => IMAGE_EXTENSIONS.includes(extname(f).toLowerCase()))
      .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    if (!files.length)
      throw new UserError(
        `background video '${path}': the folder has no images (expected files ending in ${IMAGE_EXTENSIONS.join(', ')})`,
      );
    for (const f of files) pages.push({ file: join(source, f), page: 0 });
  } else {
    const n = (await metadataOf(source)).pages ?? 1;
    for (let p = 0; p < n; p++) pages.push({ file: source, page: p });
  }
  if (pages.length > MAX_BACKGROUND_FRAMES)
    throw new UserError(
      `background video '${path}': ${pages.length} frames, at most ${MAX_BACKGROUND_FRAMES} are read (use a shorter clip)`,
    );
  const px = size * size * 3;
  const frames = new Uint8Array(pages.length * px);
  for (let i = 0; i < pages.length; i++) frames.set(await readFrame(pages[i].file, pages[i].page, size), i * px);
  return { frames, count: pages.length, size, source };
}

async function metadataOf(file: string): Promise<Metadata> {
  try {
    return await sharp(file).metadata();
  } catch (e) {
    throw unreadable(file, e);
  }
}

async function readFrame(file: string, page: number, size: number): Promise<Uint8Array> {
  try {
    const buf = await sharp(file, { page })
      .removeAlpha()
      .toColourspace('srgb')
      .resize(size, size, { fit: 'cover', position: 'centre' })
      .raw()
      .toBuffer();
    // Greyscale inputs come out with 3 channels after toColourspace('srgb'); check rather than assume.
    if (buf.length !== size * size * 3) throw new Error(`decoded ${buf.length} bytes, expected ${size * size * 3}`);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  } catch (e) {
    throw unreadable(file, e);
  }
}

function unreadable(file: string, e: unknown): UserError {
  const why = (e instanceof Error ? e.message : String(e)).split('\n')[0];
  return new UserError(`background video: cannot read image '${file}' (${why})`);
}
