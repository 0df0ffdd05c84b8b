import * as tf from '@tensorflow/tfjs-core';
import type { Behavior } from '../agents/behavior.ts';
import { createBehavior } from '../agents/make-behavior.ts';
import type { AgentSettings } from '../models/actor-critic-config.ts';
import type { LatentWorldModel } from '../models/latent-world-model.ts';
import { UserError } from '../util/errors.ts';
import { loadCheckpoint } from './checkpoints.ts';
import { openRunModel } from './load.ts';

/** A run's trained agent: its world model's behaviour view and the behaviour restored from the checkpoint. */
export interface RunAgent {
  settings: AgentSettings;
  wm: LatentWorldModel;
  behavior: Behavior;
  env: string | null;
  dispose(): void;
}

export async function loadRunAgent(runDir: string, opts: { backend?: string } = {}): Promise<RunAgent> {
  const opened = await openRunModel(runDir, opts);
  const { family, config } = opened;
  if (!family.agentSettings || !opened.model.latent) {
    opened.model.dispose();
    throw new UserError(`run ${config.id}: the ${config.family} family hosts no behaviour`);
  }
  const settings = family.agentSettings(family.parseConfig(config.model));
  const wm = opened.model.latent();
  const behavior = createBehavior(settings, wm, config.seed);
  const ck = loadCheckpoint(runDir)!;
  try {
    const bstate = ck.meta.state.behavior as Record<string, unknown> | null | undefined;
    const tensors: Record<string, tf.Tensor> = {};
    for (const [k, t] of Object.entries(ck.tensors)) if (k.startsWith('behavior/')) tensors[k.slice(9)] = t;
    if (bstate) behavior.restore({ tensors, state: bstate });
    else if (settings.behavior !== 'cem')
      throw new UserError(`run ${config.id}: its checkpoint holds no trained ${settings.behavior} behaviour`);
  } finally {
    tf.dispose(Object.values(ck.tensors));
  }
  return {
    settings,
    wm,
    behavior,
    env: config.source.env,
    dispose: () => {
      behavior.dispose();
      opened.model.dispose();
    },
  };
}
