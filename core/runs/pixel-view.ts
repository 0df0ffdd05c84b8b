import type { Episode } from '../data/episode.ts';
import type { DreamSession, OpenLoopOptions, OpenLoopResult } from '../models/family.ts';
import { FrameRetrieval } from '../models/frame-retrieval.ts';
import { type FeatureRenderer, latentDreamSession, latentOpenLoop } from '../models/latent-openloop.ts';
import type { LatentWorldModel } from '../models/latent-world-model.ts';
import type { ProbeDecoder } from '../models/probe-decoder.ts';
import { UserError } from '../util/errors.ts';
import { PixelView as PixelViewSchema } from '../contract/schemas.ts';
import { buildFeatureBank } from './feature-bank.ts';
import { predictiveMeanOpenLoop } from './predictive-mean.ts';
import type { OpenedRun } from './load.ts';
import { loadRunProbe, probeProblem, readProbeMeta } from './probe.ts';

/**
 * Where the frames of a dream come from, for every family: the model's own decoder, the run's probe decoder
 * (trained on stop-gradient features), or retrieval of the nearest real training frame. 'auto' takes the
 * decoder when the model has one (LoadedModel.pixels 'decoder'), else a usable probe, else retrieval. The
 * choice travels with every result so the UI and exports label what they show. The list is the API's, which
 * `oneiro dream --view` checks against without importing the models this module renders with.
 */
export const PIXEL_VIEWS = PixelViewSchema.options;
export type PixelView = (typeof PIXEL_VIEWS)[number];
export type PixelViewRequest = 'auto' | PixelView;

/** Training frames retrieval searches (filtered features of each; a few MB at 64 px). */
export const RETRIEVAL_FRAMES = 2000;

export class RunPixelViews {
  private probeCache: ProbeDecoder | null = null;
  /** `trained` of the stored probe the cache holds. */
  private probeTrained: string | null = null;
  private retrievalCache: FrameRetrieval | null = null;

  constructor(readonly opened: OpenedRun) {}

  /** The view 'auto' resolves to, or the asked one after checking it is available (UserError saying why not). */
  choose(asked: PixelViewRequest = 'auto'): PixelView {
    const { model, config } = this.opened;
    if (asked === 'auto') {
      if (model.pixels === 'decoder') return 'decoder';
      return this.latent() && probeProblem(readProbeMeta(this.opened.dir), this.opened) === null
        ? 'probe'
        : 'retrieval';
    }
    if (asked === 'decoder' && model.pixels !== 'decoder')
      throw new UserError(
        `run ${config.id} (${config.family}) decodes no pixels: view it through its probe decoder or by retrieval`,
      );
    if (asked !== 'decoder' && !this.latent())
      throw new UserError(`run ${config.id} (${config.family}) exposes no latent view to probe or retrieve from`);
    return asked;
  }

  private latent(): LatentWorldModel | null {
    return this.opened.model.latent?.() ?? null;
  }

  probe(): ProbeDecoder {
    // The probe may be retrained by another process (a probe job, the trainer after a run): reload when the
    // stored one is not the one cached.
    const trained = readProbeMeta(this.opened.dir)?.trained ?? null;
    if (this.probeCache && trained !== this.probeTrained) {
      this.probeCache.dispose();
      this.probeCache = null;
    }
    if (!this.probeCache) {
      this.probeCache = loadRunProbe(this.opened);
      this.probeTrained = trained;
    }
    return this.probeCache;
  }

  retrieval(): FrameRetrieval {
    if (!this.retrievalCache) {
      const bank = buildFeatureBank(this.opened.model, this.opened.config, this.opened.dir, RETRIEVAL_FRAMES);
      this.retrievalCache = new FrameRetrieval(
        bank.dim,
        bank.features,
        bank.frames,
        bank.episode,
        this.opened.model.imageSize,
      );
    }
    return this.retrievalCache;
  }

  /** Features → frames in a view other than the model's own decoder. */
  renderer(view: 'probe' | 'retrieval', exclude: number | null): FeatureRenderer {
    if (view === 'probe') {
      const p = this.probe();
      return (f) => p.render(f);
    }
    const r = this.retrieval();
    return (f) => r.render(f, exclude);
  }

  /**
   * The open loop in the chosen view. `exclude` is the dataset index of the episode shown when it is one of the
   * run's own dataset (retrieval then never picks that episode's frames: it would be showing the truth).
   * `samples` K > 0 shows the mean of K dreams sampled at `o.temperature` (1 when it is 0), seeded from `o.seed`.
   */
  async openloop(
    ep: Episode,
    o: OpenLoopOptions,
    asked: PixelViewRequest = 'auto',
    exclude: number | null = null,
    samples = 0,
  ): Promise<{ result: OpenLoopResult; pixels: PixelView }> {
    const pixels = this.choose(asked);
    const { model } = this.opened;
    const one = async (e: Episode, so: OpenLoopOptions) =>
      pixels === 'decoder'
        ? model.openloop!(e, so)
        : latentOpenLoop(this.latent()!, e, so, this.renderer(pixels, exclude));
    const result = samples
      ? await predictiveMeanOpenLoop(one, ep, o, samples, o.temperature > 0 ? o.temperature : 1)
      : await one(ep, o);
    return { result, pixels };
  }

  dreamSession(
    opts: { temperature: number; seed: number },
    asked: PixelViewRequest = 'auto',
  ): { session: DreamSession; pixels: PixelView } {
    const pixels = this.choose(asked);
    if (pixels === 'decoder') return { session: this.opened.model.dreamSession!(opts), pixels };
    return { session: latentDreamSession(this.latent()!, this.renderer(pixels, null), opts), pixels };
  }

  dispose(): void {
    this.probeCache?.dispose();
    this.retrievalCache?.dispose();
    this.probeCache = null;
    this.retrievalCache = null;
  }
}

/** The label the UI and exports print for a view. */
export function pixelViewLabel(v: PixelView): string {
  return v === 'decoder' ? "model's decoder" : v === 'probe' ? 'probe decoder' : 'retrieval (nearest real frame)';
}
