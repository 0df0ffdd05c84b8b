import { openDataset, readEpisode } from '../data/dataset.ts';
import type { Episode } from '../data/episode.ts';
import { MeanFrame } from '../media/foreground.ts';
import { resizeFrames } from '../media/frames.ts';
import type { RunConfig } from './run-dir.ts';
import { splitEpisodes } from '../data/replay.ts';
import { onlineRunData } from './episode-store.ts';

/**
 * The mean frame of a run's training episodes at the model's size (the Dream Lab's mean-frame baseline and
 * foreground mask), read one episode at a time so a large dataset is never held in memory. A dataset run uses
 * the same split as training (held-out episodes excluded); an online run the episodes it collected. Null when
 * there are none.
 */
export async function runTrainingMeanFrame(
  workspace: string,
  config: RunConfig,
  runDir: string,
  size: number,
): Promise<Float32Array | null> {
  const m = new MeanFrame(size * size * 3);
  const add = (ep: Episode) =>
    m.add(resizeFrames(ep.image, ep.imageShape[0], ep.imageShape[1], size), ep.imageShape[0]);
  if (config.source.dataset) {
    const ds = openDataset(workspace, config.source.dataset);
    const { train } = splitEpisodes(ds, config.train.heldOutFraction);
    for (const i of train) add(readEpisode(ds, i));
  } else if (config.source.env) {
    // The training episodes only: the held-out ones (by a hash of their id) are never part of the baseline.
    for (const ep of onlineRunData(config.source.env, size, runDir, config.train.heldOutFraction).train) add(ep);
  }
  return m.mean();
}
