import { parseCommand, workspaceDir, intFlag, numberFlag, outFileFlag, requireFlag, onePositional } from '../args.ts';
import { episodeFrames, openDataset } from '../../data/dataset.ts';
import { filmstrip } from '../../media/grid.ts';
import { encodeAnimation, encodePng, formatOf, writeMedia } from '../../media/encode.ts';

export const summary = 'render an episode as a filmstrip PNG or an animated GIF/WebP';

const HELP = `usage: oneiro render DATASET --episode I --out FILE.png|.gif|.webp [options]

  --episode I      episode index in the dataset (0-based; see 'oneiro dataset inspect')
  --from t         first frame (default 0)
  --to t2          end frame, exclusive (default: the episode's end)
  --scale k        integer pixelated upscaling (default 1 for GIF/WebP, 2 for PNG)
  --columns C      PNG: frames per row (default: all frames in one row up to 32, else 32)
  --fps F          GIF/WebP: frames per second (default 20, Dreamer's video rate). A GIF has one page per
                   frame; WebP (libwebp) merges identical consecutive frames into one longer page
  --workspace DIR  --json`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('render', argv, {
    episode: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    scale: { type: 'string' },
    columns: { type: 'string' },
    fps: { type: 'string' },
    out: { type: 'string' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const name = onePositional('render', positionals, 'DATASET name');
  const out = outFileFlag('out', values.out);
  const format = formatOf(out);
  const ds = openDataset(workspaceDir(values.workspace), name);
  const index = intFlag('episode', requireFlag('episode', values.episode), 0, 0);
  const from = intFlag('from', values.from, 0, 0);
  const to = values.to === undefined ? undefined : intFlag('to', values.to, 0, from + 1);
  const scale = intFlag('scale', values.scale, format === 'png' ? 2 : 1, 1, 16);
  const { frames, shape } = await episodeFrames(ds, index, from, to);
  const [n, H, W] = shape;
  let bytes: Uint8Array;
  if (format === 'png') {
    const columns = intFlag('columns', values.columns, n <= 32 ? n : 32, 1);
    bytes = await encodePng(filmstrip(frames, n, H, W, { scale, columns }));
  } else {
    const fps = numberFlag('fps', values.fps, 20, 0.1, 100);
    bytes = await encodeAnimation(frames, n, H, W, { format, scale, delayMs: 1000 / fps });
  }
  writeMedia(out, bytes);
  const info = {
    dataset: name,
    episode: index,
    from,
    to: from + n,
    frames: n,
    format,
    scale,
    out,
    bytes: bytes.byteLength,
  };
  if (values.json) console.log(JSON.stringify(info));
  else
    console.log(
      `wrote ${out}: ${n} frames (${from}..${from + n - 1}) of episode ${index}, ${W * scale}×${H * scale} px each, ${format.toUpperCase()}, ${(bytes.byteLength / 1024).toFixed(1)} KB`,
    );
  return 0;
}
