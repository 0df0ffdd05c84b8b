import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../tensor/backend.ts';
import { getFamily } from '../models/registry.ts';
import type { LoadedModel, ModelFamily, TrainData } from '../models/family.ts';
import { UserError } from '../util/errors.ts';
import { loadNewestIntactCheckpoint, type CheckpointMeta } from './checkpoints.ts';
import { readRunConfig, type RunConfig } from './run-dir.ts';
import { loadDataForRun } from './trainer.ts';
import { onlineRunData } from './episode-store.ts';

/**
 * A run's trained model, for `oneiro eval`, `oneiro dream` and the service: the run's config, its
 * data split (the same held-out episodes training never saw) and the model from the latest checkpoint.
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
  opts: { backend?: string; data?: TrainData; warn?: (message: string) => void } = {},
): Promise<OpenedRun> {
  const config = readRunConfig(runDir);
  const family = await getFamily(config.family);
  const model = family.parseConfig(config.model);
  await initBackend(opts.backend);
  // A corrupt latest checkpoint falls back to the newest intact one, said on stderr by default.
  const ck = loadNewestIntactCheckpoint(runDir, opts.warn ?? ((m) => console.warn(`warning: ${m}`)));
  if (!ck)
    throw new UserError(`run ${config.id} has no checkpoint yet: train it first (oneiro train --resume ${config.id})`);
  // An online run is evaluated on the episodes it collected but held out (never trained on).
  const online =
    !config.source.dataset && config.source.env && family.trainsOnline ? family.agentSettings?.(model) : null;
  const data =
    opts.data ??
    (online && config.source.env
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
