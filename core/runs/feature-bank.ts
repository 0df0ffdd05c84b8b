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

/** One episode of a run's split, read when asked: `index` is its dataset index (−1 for an online run's episodes). */
export interface RunEpisode {
  index: number;
  read: () => Episode;
}

/**
 * Both sides of a run's split (the held-out episodes are those `oneiro eval` scores), each episode read only when
 * asked, so a dataset of gigabytes is walked one episode at a time; the dataset (or an online run's episode store)
 * is opened once for both. `size`: an online run's frame size.
 */
export function runEpisodes(
  config: RunConfig,
  runDir: string,
  size: number,
): { train: RunEpisode[]; heldOut: RunEpisode[] } {
  if (config.source.dataset) {
    const ds = openDataset(resolve(runDir, '..', '..'), config.source.dataset);
    const split = splitEpisodes(ds, config.train.heldOutFraction);
    const at = (i: number) => ({ index: i, read: () => readEpisode(ds, i) });
    return { train: split.train.map(at), heldOut: split.heldOut.map(at) };
  }
  if (config.source.env) {
    const data = onlineRunData(config.source.env, size, runDir, config.train.heldOutFraction);
    const at = (ep: Episode) => ({ index: -1, read: () => ep });
    return { train: data.train.map(at), heldOut: data.heldOut.map(at) };
  }
  return { train: [], heldOut: [] };
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
  const eps = runEpisodes(config, runDir, S).train;
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
