import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../util/rng.ts';
import type { Adam, OptimizerStepResult } from '../nn.ts';
import { contrastiveLoss, randomPermutation } from './losses.ts';
import type { ObjectGraphModel } from './model.ts';
import {
  disposeMoments,
  encodeObjects,
  extractObjects,
  transition,
  updateRunningStats,
  type BatchMoments,
} from './networks.ts';
import type { TransitionBatch } from './transitions.ts';

/**
 * One C-SWM update (train.py's inner loop: `model.contrastive_loss(obs, action, next_obs)`, Adam step): both
 * frames are extracted in training mode (batch statistics, obs first, as modules.py calls the extractor), the
 * negatives' permutation comes from the step's Rng, and the batch-norm running statistics move only when the
 * update is applied.
 */
export function objectGraphTrainStep(
  model: ObjectGraphModel,
  opt: Adam,
  batch: TransitionBatch,
  rng: Rng,
  poison = false,
): OptimizerStepResult {
  const c = model.config;
  const perm = randomPermutation(batch.n, rng);
  const obs = model.frames(batch.obs, batch.n);
  const next = model.frames(batch.next, batch.n);
  const action = tf.tensor2d(batch.action, [batch.n, batch.actionDim]);
  const moments: BatchMoments = [];
  try {
    const r = opt.step(() => {
      const z = encodeObjects(model.og, extractObjects(model.og, c, obs, moments));
      const zNext = encodeObjects(model.og, extractObjects(model.og, c, next, moments));
      const delta = transition(model.og, c, z, action);
      const t = contrastiveLoss(z, delta, zNext, perm, c.loss.sigma, c.loss.hinge);
      return { loss: t.loss, metrics: { positive: t.positive, negative: t.negative, copy: t.copy } };
    }, poison);
    if (r.applied) updateRunningStats(model.og, moments);
    return r;
  } finally {
    disposeMoments(moments);
    tf.dispose([obs, next, action]);
  }
}
