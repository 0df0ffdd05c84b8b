import { parseCommand, workspaceDir, intFlag, numberFlag, outFileFlag, requireFlag, onePositional } from '../args.ts';
import { resolveRunDir } from '../../runs/run-dir.ts';
import { UserError } from '../../util/errors.ts';
import { printable } from '../../util/printable.ts';
import { clampsText, openloopClamps } from '../../models/openloop-clamps.ts';
import type { PixelViewRequest } from '../../runs/pixel-view.ts';
import { MAX_DREAM_SAMPLES, PixelView } from '../../contract/schemas.ts';
// The model, its pixel views (tfjs, the families: ≈ 1 CPU s to import through tsx) and the image encoder (sharp)
// load only once the flags are checked, so a refused command line answers at the CLI's floor cost.

export const summary = 'render an open-loop dream strip (truth / dream / error) of a run';

const HELP = `usage: oneiro dream RUN --episode I --start t --horizon H --out FILE.png|.gif|.webp [options]

  --episode I        episode index in the run's dataset (0-based, as 'oneiro dataset inspect'); an online run's
                     episodes are numbered in its own order, training ones first
  --start t          last real frame: the model observes frames up to t, then dreams t+1 … t+H
  --horizon H        dream steps under the episode's recorded actions (clamped to the episode's end, and said so)
  --context C        real frames observed before the dream (default 5, as Dreamer's openl)
  --temperature τ    sampling temperature (default 0 = the point prediction: the latent mode, World Models' mixture
                     mean; 1 = the model's own spread)
  --samples K        draw the pixel-wise mean of K dreams sampled at τ (default τ 1; K up to ${MAX_DREAM_SAMPLES}): the
                     predictive mean of 'oneiro eval --samples', where each future the model holds shows as a ghost
  --seed S           sampling seed (default 0; the same seed gives the same dream)
  --view V           where the dream's frames come from: auto (default: the model's decoder, else its probe
                     decoder, else retrieval), decoder, probe (oneiro probe RUN trains it), retrieval (nearest real
                     training frame by features)
  --checkpoint STEP  a kept checkpoint instead of the latest (as 'oneiro eval --checkpoint')
  --scale k          integer upscaling (default 2)
  --out FILE         .png, .gif or .webp; its folder must exist
  --workspace DIR  --json

Rows: truth / dream / error ((dream − truth + 255)/2); context columns have a green border, dreamed ones red.`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('dream', argv, {
    episode: { type: 'string' },
    start: { type: 'string' },
    horizon: { type: 'string' },
    context: { type: 'string' },
    temperature: { type: 'string' },
    seed: { type: 'string' },
    samples: { type: 'string' },
    scale: { type: 'string' },
    view: { type: 'string' },
    out: { type: 'string' },
    checkpoint: { type: 'string' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const runId = onePositional('dream', positionals, 'RUN id');
  // The API's list of views (core/runs/pixel-view.ts's too), without importing the models it renders with.
  const views = ['auto', ...PixelView.options] as const;
  const view = (values.view ?? 'auto') as PixelViewRequest;
  if (!views.includes(view)) throw new UserError(`--view must be one of ${views.join(', ')}, got '${values.view}'`);
  const out = outFileFlag('out', values.out);
  const samples = values.samples === undefined ? 0 : intFlag('samples', values.samples, 0, 1, MAX_DREAM_SAMPLES);
  const temperature = numberFlag('temperature', values.temperature, samples ? 1 : 0, 0, 10);
  if (samples && temperature === 0)
    throw new UserError(
      '--samples needs --temperature > 0: the mean of point predictions is the point prediction (omit τ for 1)',
    );
  const checkpoint = values.checkpoint === undefined ? undefined : intFlag('checkpoint', values.checkpoint, 0, 0);
  const { formatOf, writeMedia } = await import('../../media/encode.ts');
  const format = formatOf(out);
  const dir = resolveRunDir(workspaceDir(values.workspace), runId);
  const { openRunModel } = await import('../../runs/load.ts');
  const { RunPixelViews, pixelViewLabel } = await import('../../runs/pixel-view.ts');
  const { dreamStripAnimation, dreamStripPng } = await import('../../media/dream-strip.ts');
  const { runEpisodes } = await import('../../runs/feature-bank.ts');
  // Only the shown episode is read: the model needs the spaces, not the dataset.
  const opened = await openRunModel(dir, {
    episodes: false,
    ...(values.backend ? { backend: values.backend } : {}),
    ...(checkpoint !== undefined ? { checkpoint } : {}),
  });
  const pixelViews = new RunPixelViews(opened);
  try {
    const { train, heldOut } = runEpisodes(opened.config, dir, opened.model.imageSize);
    const episodes = [...train, ...heldOut];
    const index = intFlag('episode', requireFlag('episode', values.episode), 0, 0, episodes.length - 1);
    // A dataset run's index is the dataset's (its split covers every episode); an online run's, its own order.
    const dataset = Boolean(opened.config.source.dataset);
    const at = dataset ? episodes.findIndex((e) => e.index === index) : index;
    const ep = episodes[at].read();
    const asked = {
      horizon: intFlag('horizon', requireFlag('horizon', values.horizon), 0, 1, 1000),
      context: values.context === undefined ? undefined : intFlag('context', values.context, 5, 1, 100),
    };
    // Retrieval skips the shown episode's own frames (by dataset index).
    const exclude = dataset ? index : null;
    const { result, pixels } = await pixelViews.openloop(
      ep,
      {
        start: intFlag('start', requireFlag('start', values.start), 0, 0, ep.imageShape[0] - 2),
        horizon: asked.horizon,
        context: asked.context ?? 5,
        temperature,
        seed: intFlag('seed', values.seed, 0, 0),
      },
      view,
      exclude,
      samples,
    );
    const scale = intFlag('scale', values.scale, 2, 1, 16);
    const bytes =
      format === 'png' ? await dreamStripPng(result, scale) : await dreamStripAnimation(result, format, scale);
    writeMedia(out, bytes);
    const mse = result.mse.filter(Number.isFinite);
    const info = {
      run: opened.config.id,
      checkpoint_step: opened.checkpoint.globalStep,
      episode: index,
      pixels,
      samples: samples || null,
      temperature,
      heldOut: at >= train.length,
      start: result.contextIndices.at(-1),
      context: result.contextIndices.length,
      horizon: result.dreamIndices.length,
      out,
      format,
      bytes: bytes.byteLength,
      mse: result.mse.map((x) => (Number.isFinite(x) ? x : null)),
      mean_mse: mse.reduce((a, b) => a + b, 0) / Math.max(1, mse.length),
      clamped: openloopClamps(asked, result),
    };
    if (values.json) console.log(JSON.stringify(info));
    else {
      console.log(
        `wrote ${printable(out)}: ${info.context} context + ${info.horizon} dreamed frames of episode ${index}${info.heldOut ? ' (held out)' : ''} at checkpoint step ${info.checkpoint_step}${samples ? `, the mean of ${samples} dreams at τ ${temperature}` : ''}, frames from the ${pixelViewLabel(pixels)}, mean pixel MSE ${info.mean_mse.toFixed(5)}`,
      );
      const clamped = clampsText(info.clamped);
      if (clamped) console.log(clamped);
    }
    return 0;
  } finally {
    pixelViews.dispose();
    opened.model.dispose();
  }
}
