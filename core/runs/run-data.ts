import { datasetActionRepeat, datasetBackground, openDataset, readEpisode } from '../data/dataset.ts';
import type { Episode } from '../data/episode.ts';
import { Replay, splitEpisodes } from '../data/replay.ts';
import type { TrainData } from '../models/family.ts';
import { UserError } from '../util/errors.ts';

/**
 * Loads a dataset's episodes for a run and splits them by episode id (data/replay.ts `splitEpisodes`: an
 * episode is held out when the hash of its file name falls below the fraction), so collecting more episodes
 * into a dataset never moves one from held-out to training. Held-out episodes are for `oneiro eval` only.
 * Held-out episodes are loaded. Training episodes are loaded too, unless `stream` is given: then none is
 * read here and `trainReplay` streams them from disk under its cache cap (core/data/replay.ts).
 */
export const DEFAULT_REPLAY_CACHE_MB = 256;

export function loadTrainData(
  workspace: string,
  dataset: string,
  heldOutFraction: number,
  onEpisode?: (i: number, n: number) => void,
  stream?: { cacheBytes: number },
): TrainData {
  const ds = openDataset(workspace, dataset);
  const n = ds.meta.episodes.length;
  if (n < 2)
    throw new UserError(
      `dataset '${dataset}' has ${n} episode(s): a run needs at least 2 (one is held out for evaluation)`,
    );
  const [h, w] = ds.meta.observationShape;
  if (h !== w) throw new UserError(`dataset '${dataset}' has ${h}×${w} frames: the models expect square frames`);
  const split = splitEpisodes(ds, heldOutFraction);
  const wanted = stream ? split.heldOut : [...split.train, ...split.heldOut].sort((a, b) => a - b);
  const episodes = new Map<number, Episode>();
  wanted.forEach((i, k) => {
    episodes.set(i, readEpisode(ds, i));
    onEpisode?.(k + 1, wanted.length);
  });
  const heldOut = split.heldOut.map((i) => episodes.get(i)!);
  const base = {
    dataset,
    env: ds.meta.env,
    actionSpace: ds.meta.actionSpace,
    imageSize: h,
    actionRepeat: datasetActionRepeat(ds.meta),
    background: datasetBackground(ds.meta),
    heldOut,
  };
  if (!stream) return { ...base, train: split.train.map((i) => episodes.get(i)!) };
  // Its own Rng is unused: training draws windows with each step's Rng (Replay.draw), so resume needs no state.
  const trainReplay = new Replay(ds, {
    batch: 1,
    length: 1,
    seed: 0,
    episodes: split.train,
    cacheBytes: stream.cacheBytes,
  });
  return { ...base, train: [], trainReplay };
}
