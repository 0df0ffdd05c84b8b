import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../../core/util/rng.ts';
import { resolveWorldModelsConfig, type RnnConfig } from '../../../core/models/world-models/config.ts';
import { worldModelsFamily } from '../../../core/models/world-models/family.ts';
import type { StepReport } from '../../../core/models/family.ts';
import { cartpoleTrainData } from '../data/helpers.ts';

/**
 * Step 0 of M's phase in a debug World Models session (seed 0, controller off, step rng 1) on cartpoleTrainData()'s
 * 21-frame episodes with `rnn` overrides; asserts the step frees its tensors.
 */
export async function firstRnnStep(rnn: Partial<RnnConfig>): Promise<StepReport> {
  const s = await worldModelsFamily.createSession({
    config: resolveWorldModelsConfig('debug', { rnn, controller: { enabled: false } }),
    seed: 0,
    data: cartpoleTrainData(),
    runDir: null,
    log: () => {},
  });
  const signal = new AbortController().signal;
  await s.beginPhase('rnn', signal);
  const before = tf.memory().numTensors;
  const r = await s.step({ phase: 'rnn', step: 0, globalStep: 0, rng: new Rng(1), poison: false, signal });
  assert.equal(tf.memory().numTensors, before, 'an rnn step leaked tensors');
  s.dispose();
  return r;
}
