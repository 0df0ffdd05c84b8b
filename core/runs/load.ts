import * as tf from '@tensorflow/tfjs-core';
import { resolve } from 'node:path';
import { datasetActionRepeat, datasetBackground, openDataset } from '../data/dataset.ts';
import { initBackend } from '../tensor/backend.ts';
import { getFamily } from '../models/registry.ts';
import type { LoadedModel, ModelFamily, TrainData } from '../models/family.ts';
import { UserError } from '../util/errors.ts';
import {
  checkpointNameAtStep,
  loadCheckpointAtStep,
  loadNewestIntactCheckpoint,
  type CheckpointMeta,
} from './checkpoints.ts';
import { loadAveragedCheckpoint } from './checkpoint-average.ts';
import { readRunConfig, type RunConfig } from './run-dir.ts';
import { loadDataForRun } from './trainer.ts';
import { onlineRunData, onlineTrainData } from './episode-store.ts';

/**
 * A run's trained model, for `oneiro eval`, `oneiro dream` and the service: the run's config, its
 * data split (the same held-out episodes training never saw) and the model from the latest checkpoint (or the
 * kept one `checkpoint` names).
 */
export interface OpenedRun {
  dir: string;
  config: RunConfig;
  family: ModelFamily<unknown>;
  data: TrainData;
  checkpoint: CheckpointMeta;
  model: LoadedModel;
}

export async function openRunModel(
  runDir: string,
  opts: {
    backend?: string;
    data?: TrainData;
    warn?: (message: string) => void;
    /** The kept checkpoint at this global step instead of the latest (a step the run lacks is refused before the backend loads). */
    checkpoint?: number;
    /** The mean of the kept checkpoints at these steps (core/runs/checkpoint-average.ts); not with `checkpoint`. */
    average?: number[];
    /**
     * false: read no episode, only what the model needs to load and act (spaces, frame size, the data's action
     * repeat and background), for dreams and agents: a dataset can run to gigabytes.
     */
    episodes?: false;
  } = {},
): Promise<OpenedRun> {
  const config = readRunConfig(runDir);
  const family = await getFamily(config.family);
  const model = family.parseConfig(config.model);
  const at = opts.checkpoint;
  if (at !== undefined && opts.average) throw new Error('openRunModel: checkpoint and average are exclusive');
  for (const step of at !== undefined ? [at] : (opts.average ?? [])) checkpointNameAtStep(runDir, config.id, step);
  await initBackend(opts.backend);
  // A corrupt latest checkpoint falls back to the newest intact one, said on stderr by default; a chosen one never does.
  const ck = opts.average
    ? loadAveragedCheckpoint(runDir, config.id, opts.average)
    : at !== undefined
      ? loadCheckpointAtStep(runDir, config.id, at)
      : loadNewestIntactCheckpoint(runDir, opts.warn ?? ((m) => console.warn(`warning: ${m}`)));
  if (!ck)
    throw new UserError(`run ${config.id} has no checkpoint yet: train it first (oneiro train --resume ${config.id})`);
  // An online run is evaluated on the episodes it collected but held out (never trained on).
  const online =
    !config.source.dataset && config.source.env && family.trainsOnline ? family.agentSettings?.(model) : null;
  const data =
    opts.data ??
    (opts.episodes === false
      ? dataWithoutEpisodes(config, runDir, online ? online.imageSize : null)
      : online && config.source.env
        ? onlineRunData(config.source.env, online.imageSize, runDir, config.train.heldOutFraction)
        : loadDataForRun(config, runDir, family, model));
  try {
    const loaded = await family.loadModel(
      { config: model, seed: config.seed, data, runDir, log: () => {} },
      { tensors: ck.tensors, state: ck.meta.state },
    );
    return { dir: runDir, config, family, data, checkpoint: ck.meta, model: loaded };
  } finally {
    tf.dispose(Object.values(ck.tensors));
  }
}

/** A run's data with no episode read: its dataset's meta (online: the env's spaces at the model's frame size). */
function dataWithoutEpisodes(config: RunConfig, runDir: string, onlineSize: number | null): TrainData {
  const { dataset, env } = config.source;
  if (!dataset) {
    if (!env || onlineSize === null)
      throw new UserError(`run ${config.id} has no dataset and family '${config.family}' cannot train online`);
    return onlineTrainData(env, onlineSize);
  }
  const meta = openDataset(resolve(runDir, '..', '..'), dataset).meta;
  return {
    dataset,
    env,
    actionSpace: meta.actionSpace,
    imageSize: meta.observationShape[0],
    actionRepeat: datasetActionRepeat(meta),
    background: datasetBackground(meta),
    train: [],
    heldOut: [],
  };
}
