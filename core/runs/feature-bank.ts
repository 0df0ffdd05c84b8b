import { resolve } from 'node:path';
import { openDataset, readEpisode } from '../data/dataset.ts';
import type { Episode } from '../data/episode.ts';
import { splitEpisodes } from '../data/replay.ts';
import { resizeFrames } from '../media/frames.ts';
import type { LoadedModel } from '../models/family.ts';
import { UserError } from '../util/errors.ts';
import { onlineRunData } from './episode-store.ts';
import type { RunConfig } from './run-dir.ts';

/**
 * The real frames of a run's training episodes next to the model's filtered features of them: what a probe
 * decoder trains on and what retrieval searches. Training episodes only (the run's own split: held-out
 * episodes stay unseen), read one at a time, at most `maxFrames` rows, spread evenly over the episodes.
 */
export interface FeatureBank {
  dim: number;
  /** [n, dim] filtered features. */
  features: Float32Array;
  /** uint8 [n·S·S·3] at the model's size. */
  frames: Uint8Array;
  /** The dataset episode index of each row (−1 for an online run's collected episodes). */
  episode: Int32Array;
  /** The row's step in its episode. */
  step: Int32Array;
  n: number;
}

export function buildFeatureBank(
  model: LoadedModel,
  config: RunConfig,
  runDir: string,
  maxFrames: number,
  signal?: AbortSignal,
): FeatureBank {
  const S = model.imageSize;
  const px = S * S * 3;
  const eps: { index: number; read: () => Episode }[] = [];
  if (config.source.dataset) {
    const ds = openDataset(resolve(runDir, '..', '..'), config.source.dataset);
    for (const i of splitEpisodes(ds, config.train.heldOutFraction).train)
      eps.push({ index: i, read: () => readEpisode(ds, i) });
  } else if (config.source.env) {
    for (const ep of onlineRunData(config.source.env, S, runDir, config.train.heldOutFraction).train)
      eps.push({ index: -1, read: () => ep });
  }
  if (eps.length === 0) throw new UserError(`run ${config.id} has no training episodes to read frames from`);
  const perEpisode = Math.max(1, Math.ceil(maxFrames / eps.length));
  const feats: Float32Array[] = [];
  const frames: Uint8Array[] = [];
  const episode: number[] = [];
  const step: number[] = [];
  let dim = 0;
  let n = 0;
  for (const e of eps) {
    if (n >= maxFrames) break;
    signal?.throwIfAborted();
    const ep = e.read();
    const [T, H] = ep.imageShape;
    const f = model.filterFeatures(ep);
    dim = f.dim;
    const all = resizeFrames(ep.image, T, H, S);
    const take = Math.min(T, perEpisode, maxFrames - n);
    // Evenly spaced rows, so a short cap still covers whole episodes.
    for (let k = 0; k < take; k++) {
      const t = Math.floor((k * T) / take);
      feats.push(f.data.subarray(t * dim, (t + 1) * dim));
      frames.push(all.subarray(t * px, (t + 1) * px));
      episode.push(e.index);
      step.push(t);
    }
    n += take;
  }
  const features = new Float32Array(n * dim);
  const out = new Uint8Array(n * px);
  for (let i = 0; i < n; i++) {
    features.set(feats[i], i * dim);
    out.set(frames[i], i * px);
  }
  return { dim, features, frames: out, episode: Int32Array.from(episode), step: Int32Array.from(step), n };
}
