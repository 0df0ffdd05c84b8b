import * as tf from '@tensorflow/tfjs-core';
import type { Behavior } from '../agents/behavior.ts';
import { createBehavior } from '../agents/make-behavior.ts';
import type { AgentSettings } from '../models/actor-critic-config.ts';
import type { LatentWorldModel } from '../models/latent-world-model.ts';
import { UserError } from '../util/errors.ts';
import { listCheckpoints, loadCheckpoint } from './checkpoints.ts';
import { openRunModel, type OpenedRun } from './load.ts';

/** A run's trained agent: its world model's behaviour view and the behaviour restored from the checkpoint. */
export interface RunAgent {
  settings: AgentSettings;
  wm: LatentWorldModel;
  behavior: Behavior;
  env: string | null;
  dispose(): void;
}

export async function loadRunAgent(
  runDir: string,
  opts: { backend?: string; checkpoint?: number } = {},
): Promise<RunAgent> {
  const opened = await openRunModel(runDir, opts);
  try {
    const { settings, wm, behavior } = runBehavior(opened);
    return {
      settings,
      wm,
      behavior,
      env: opened.config.source.env,
      dispose: () => {
        behavior.dispose();
        opened.model.dispose();
      },
    };
  } catch (e) {
    opened.model.dispose();
    throw e;
  }
}

/**
 * The behaviour of an opened run, restored from the checkpoint the model was loaded from (the model stays the
 * caller's; dispose the behaviour when done).
 */
export function runBehavior(opened: OpenedRun): { settings: AgentSettings; wm: LatentWorldModel; behavior: Behavior } {
  const { family, config } = opened;
  if (!family.agentSettings || !opened.model.latent)
    throw new UserError(`run ${config.id}: the ${config.family} family hosts no behaviour`);
  const settings = family.agentSettings(family.parseConfig(config.model));
  if (!settings)
    throw new UserError(
      `run ${config.id}: its behaviour is the ${config.family} family's own trained one (scored at the end of training), not cem or actor-critic`,
    );
  const wm = opened.model.latent();
  const behavior = createBehavior(settings, wm, config.seed);
  const at = listCheckpoints(opened.dir).find((c) => c.globalStep === opened.checkpoint.globalStep);
  const ck = at ? loadCheckpoint(opened.dir, at.name) : null;
  if (!ck) {
    behavior.dispose();
    throw new UserError(`run ${config.id}: its checkpoint at step ${opened.checkpoint.globalStep} is gone`);
  }
  try {
    const bstate = ck.meta.state.behavior as Record<string, unknown> | null | undefined;
    const tensors: Record<string, tf.Tensor> = {};
    for (const [k, t] of Object.entries(ck.tensors)) if (k.startsWith('behavior/')) tensors[k.slice(9)] = t;
    if (bstate) behavior.restore({ tensors, state: bstate });
    else if (settings.behavior !== 'cem') {
      behavior.dispose();
      throw new UserError(`run ${config.id}: its checkpoint holds no trained ${settings.behavior} behaviour`);
    }
  } finally {
    tf.dispose(Object.values(ck.tensors));
  }
  return { settings, wm, behavior };
}
