/**
 * The `small` presets (issue 11 item 2): CPU-sized models at the full 64×64, for both families. Checks they
 * resolve, keep 64 px, and build models whose dreams and features have the shapes the measures need. (Whether
 * they learn is measured by scripts/measure-small.ts, not asserted here: wall time on a shared machine.)
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { makeEnv } from '../../../core/envs/registry.ts';
import { randomPolicy } from '../../../core/agents/random-agents.ts';
import { rolloutEpisode } from '../../../core/agents/rollout.ts';
import { getFamily } from '../../../core/models/registry.ts';
import type { TrainData } from '../../../core/models/family.ts';
import { Rng } from '../../../core/util/rng.ts';

before(async () => {
  await initBackend();
});

for (const name of ['rssm', 'world-models']) {
  test(`${name}: the small preset is 64×64 and builds a model that dreams at that size`, async () => {
    const family = await getFamily(name);
    assert.ok(family.presets.includes('small'));
    const config = family.resolveConfig('small');
    const size =
      (config as { image?: { size: number }; vae?: { imageSize: number } }).image?.size ??
      (config as { vae: { imageSize: number } }).vae.imageSize;
    assert.equal(size, 64);
    const env = makeEnv('cartpole-swingup', { size: 64, maxSteps: 12 });
    const ep = rolloutEpisode(env, randomPolicy(env.actionSpace, new Rng(0)), 0).episode;
    const data: TrainData = {
      dataset: 'mem',
      env: 'cartpole-swingup',
      actionSpace: env.actionSpace,
      imageSize: 64,
      train: [ep],
      heldOut: [ep],
    };
    const ctx = { config, seed: 0, data, runDir: null, log: () => {} };
    const session = await family.createSession(ctx);
    const model = await family.loadModel(ctx, session.checkpoint());
    session.dispose();
    const before = tf.memory().numTensors;
    const r = await model.openloop!(ep, { start: 4, horizon: 3, context: 5, temperature: 0, seed: 0, features: true });
    assert.equal(r.size, 64);
    assert.equal(r.dream.length, 3 * 64 * 64 * 3);
    assert.equal(r.features!.data.length, 3 * r.features!.dim);
    assert.equal(tf.memory().numTensors, before);
    model.dispose();
  });
}
