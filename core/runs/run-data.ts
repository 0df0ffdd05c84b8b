import { openDataset, readEpisode } from '../data/dataset.ts';
import type { Episode } from '../data/episode.ts';
import type { TrainData } from '../models/family.ts';
import { UserError } from '../util/errors.ts';

/**
 * Loads a dataset's episodes for a run and splits them: the last ⌈fraction·N⌉ episodes (in the
 * dataset's index order) are held out for `oneiro eval`, never trained on. Everything is held in
 * memory: fine for the few-thousand-frame datasets runs here use; larger ones need the streaming
 * replay of core/data.
 */
export function splitEpisodes<T>(episodes: T[], heldOutFraction: number): { train: T[]; heldOut: T[] } {
  const n = episodes.length;
  let h = heldOutFraction > 0 ? Math.max(1, Math.ceil(heldOutFraction * n)) : 0;
  if (n - h < 1) h = n - 1;
  return { train: episodes.slice(0, n - h), heldOut: episodes.slice(n - h) };
}

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
  const episodes: Episode[] = [];
  for (let i = 0; i < n; i++) {
    episodes.push(readEpisode(ds, i));
    onEpisode?.(i + 1, n);
  }
  const [h, w] = ds.meta.observationShape;
  if (h !== w) throw new UserError(`dataset '${dataset}' has ${h}×${w} frames: the models expect square frames`);
  const { train, heldOut } = splitEpisodes(episodes, heldOutFraction);
  return { dataset, env: ds.meta.env, actionSpace: ds.meta.actionSpace, imageSize: h, train, heldOut };
}
