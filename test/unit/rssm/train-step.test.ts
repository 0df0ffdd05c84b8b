import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { rssmConfig, withActionDim } from '../../../core/models/rssm/config.ts';
import { createRssmModel, disposeRssmModel, trainStep } from '../../../core/models/rssm/world-model.ts';
import { disposeBatch, randomBatch } from './helpers.ts';

const VARIANTS = {
  gaussian: withActionDim(rssmConfig('debug', { loss: { overshooting: { distance: 3, scale: 1 } } }), 1),
  discrete: withActionDim(
    rssmConfig('debug', {
      rssm: { latent: { kind: 'discrete', groups: 4, classes: 4, unimix: 0.01 }, gruNorm: true },
      loss: { klBalance: 0.8, freeNatsPlacement: 'mean', overshooting: { distance: 2, scale: 1 } },
    }),
    1,
  ),
  // DreamerV3's prior input (separate stoch and action embeddings with layer norm), issue 11 item 2.
  'discrete, separate prior input': withActionDim(
    rssmConfig('debug', {
      rssm: { latent: { kind: 'discrete', groups: 4, classes: 4, unimix: 0.01 }, priorInput: 'separate' },
      loss: { klBalance: 0.8, freeNatsPlacement: 'mean', overshooting: { distance: 2, scale: 1 } },
    }),
    1,
  ),
};

for (const [name, cfg] of Object.entries(VARIANTS)) {
  test(`rssm train step (${name}): finite losses, loss decreases on a fixed batch, numTensors flat`, async () => {
    await initBackend();
    const m = createRssmModel(cfg, 3);
    const batch = randomBatch(4, 8, cfg.image.size);
    const losses: number[] = [];
    let after1 = 0;
    for (let i = 0; i < 12; i++) {
      const r = trainStep(m, batch);
      assert.equal(r.skipped, false, r.reason);
      for (const k of [
        'model_loss',
        'image_loss',
        'reward_loss',
        'cont_loss',
        'kl_loss',
        'kl',
        'overshooting_loss',
        'grad_norm',
      ]) {
        assert.ok(Number.isFinite(r.metrics[k]), `${k} = ${r.metrics[k]}`);
      }
      assert.ok(r.metrics.overshooting_loss > 0, 'overshooting is on and contributes');
      losses.push(r.metrics.model_loss);
      if (i === 1) after1 = tf.memory().numTensors;
    }
    assert.equal(tf.memory().numTensors, after1, 'no tensor leak across training steps');
    assert.ok(losses[11] < losses[0], `loss went from ${losses[0]} to ${losses[11]}`);
    disposeBatch(batch);
    disposeRssmModel(m);
  });
}
