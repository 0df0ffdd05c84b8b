import { openDataset, readEpisode } from '../data/dataset.ts';
import type { Episode } from '../data/episode.ts';
import { splitEpisodes } from '../data/replay.ts';
import type { TrainData } from '../models/family.ts';
import { UserError } from '../util/errors.ts';

/**
 * Loads a dataset's episodes for a run and splits them by episode id (data/replay.ts `splitEpisodes`: an
 * episode is held out when the hash of its file name falls below the fraction), so collecting more episodes
 * into a dataset never moves one from held-out to training. Held-out episodes are for `oneiro eval` only.
 * Everything is held in memory: fine for the few-thousand-frame datasets runs here use; larger ones need the
 * streaming replay of core/data.
 */
export function loadTrainData(
  workspace: string,
  dataset: string,
  heldOutFraction: number,
  onEpisode?: (i: number, n: number) => void,
): TrainData {
  const ds = openDataset(workspace, dataset);
  const n = ds.meta.episodes.length;
  if (n < 2)
    throw new UserError(
      `dataset '${dataset}' has ${n} episode(s): a run needs at least 2 (one is held out for evaluation)`,
    );
  const split = splitEpisodes(ds, heldOutFraction);
  const episodes: Episode[] = [];
  for (let i = 0; i < n; i++) {
    episodes.push(readEpisode(ds, i));
    onEpisode?.(i + 1, n);
  }
  const [h, w] = ds.meta.observationShape;
  if (h !== w) throw new UserError(`dataset '${dataset}' has ${h}×${w} frames: the models expect square frames`);
  const train = split.train.map((i) => episodes[i]);
  const heldOut = split.heldOut.map((i) => episodes[i]);
  return { dataset, env: ds.meta.env, actionSpace: ds.meta.actionSpace, imageSize: h, train, heldOut };
}
