import sharp from 'sharp';
import type { ParsedRequestOf, ReplyOf } from '../contract/channels.ts';
import { episodeFrames, openDataset } from '../data/dataset.ts';
import { encodeAnimation, encodePng } from '../media/encode.ts';
import { filmstrip } from '../media/grid.ts';
import { dreamStripAnimation, dreamStripPng, stripColumns } from '../media/dream-strip.ts';
import type { OpenLoopRaw, OpenLoopRawRequest } from './dreams.ts';
import { writeExport } from './export-file.ts';
import { ServiceError } from '../contract/service-error.ts';

/**
 * Exports through sharp (core/media): a filmstrip PNG or an animated GIF/WebP of an episode range,
 * of frames the client holds (a played dream), or a Dreamer-style open-loop strip (truth / dream /
 * error). Written to <workspace>/exports/ and returned as bytes for the client to save.
 *
 * Hosts never call this on their own thread: it runs in the dream server (Dreams.exportStrip), because
 * reading an episode, composing the grid in JS and the atomic write are synchronous, and sharp's
 * encoders take the libuv pool: a 1000-frame GIF stalled the host's event loop for 1.6–2.3 s.
 */
const MIME = { png: 'image/png', gif: 'image/gif', webp: 'image/webp' } as const;
/** Frames per PNG row before wrapping. */
const PNG_COLUMNS = 16;

export async function exportStrip(
  workspace: string,
  dreams: { openloopRaw(req: OpenLoopRawRequest): Promise<OpenLoopRaw> },
  req: ParsedRequestOf<'exports:strip'>,
): Promise<ReplyOf<'exports:strip'>> {
  const { format, scale, fps } = req;
  let bytes: Uint8Array;
  let frames: number;
  let stem: string;
  const src = req.source;
  if (src.kind === 'openloop') {
    const { result, pixels } = await dreams.openloopRaw(src);
    const cols = stripColumns(result);
    frames = cols.truth.length;
    bytes =
      format === 'png' ? await dreamStripPng(result, scale) : await dreamStripAnimation(result, format, scale, fps);
    // A dream not drawn by the model's own decoder says so in its name (…-probe, …-retrieval).
    stem = `dream-${src.runId}-ep${src.episode}-t${src.start}${pixels === 'decoder' ? '' : `-${pixels}`}`;
  } else {
    let data: Uint8Array;
    let H: number;
    let W: number;
    if (src.kind === 'episode') {
      const r = await episodeFrames(openDataset(workspace, src.dataset), src.episode, src.start, src.start + src.count);
      [frames, H, W] = r.shape;
      data = r.frames;
      stem = `${src.dataset}-ep${src.episode}-t${src.start}`;
    } else {
      [frames, H, W] = src.frames.shape;
      data = src.frames.data;
      if (data.length !== frames * H * W * 3) {
        throw new ServiceError(
          'invalid_request',
          `payload.source.frames: shape [${src.frames.shape.join(', ')}] needs ${frames * H * W * 3} bytes, got ${data.length}`,
          'payload.source.frames.data',
        );
      }
      if (frames < 1)
        throw new ServiceError(
          'invalid_request',
          'payload.source.frames: no frames to export',
          'payload.source.frames.shape',
        );
      stem = 'frames';
    }
    if (format === 'png') {
      const img = filmstrip(data, frames, H, W, { scale, columns: Math.min(frames, PNG_COLUMNS) });
      bytes = await encodePng(img);
    } else {
      bytes = await encodeAnimation(data, frames, H, W, { format, scale, delayMs: 1000 / fps });
    }
  }
  // Read the size back from the encoded file (per frame for animations).
  const meta = await sharp(bytes).metadata();
  const width = meta.width ?? 1;
  const height = meta.pageHeight ?? meta.height ?? 1;
  const { fileName, path } = writeExport(workspace, req.name ?? stem, format, bytes);
  return { bytes, mime: MIME[format], fileName, path, frames, width, height };
}
