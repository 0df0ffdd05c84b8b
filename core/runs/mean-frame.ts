import { openDataset, readEpisode } from '../data/dataset.ts';
import type { Episode } from '../data/episode.ts';
import { MeanFrame } from '../media/foreground.ts';
import { resizeFrames } from '../media/frames.ts';
import { getFamily } from '../models/registry.ts';
import type { RunConfig } from './run-dir.ts';
import { splitEpisodes } from './run-data.ts';

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
    const all = ds.meta.episodes.map((_, i) => i);
    const { train } = splitEpisodes(all, config.train.heldOutFraction);
    for (const i of train) add(readEpisode(ds, i));
  } else if (config.source.env) {
    const family = await getFamily(config.family);
    if (family.onlineData)
      for (const ep of family.onlineData(config.source.env, family.parseConfig(config.model), runDir).heldOut) add(ep);
  }
  return m.mean();
}
