import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { rssmConfig, withActionDim, type RssmModelConfig } from '../../../core/models/rssm/config.ts';
import {
  createRssmModel,
  disposeRssmModel,
  observeBatch,
  trainStep,
  type SeqBatch,
} from '../../../core/models/rssm/world-model.ts';
import { overshootingLoss } from '../../../core/models/rssm/overshooting.ts';
import { Rng } from '../../../core/util/rng.ts';
import { dotBatch } from './helpers.ts';

before(async () => {
  await initBackend();
});

function tinyConfig(distance: number): RssmModelConfig {
  return withActionDim(
    rssmConfig('debug', {
      image: { size: 16 },
      encoder: { depth: 8, kernels: [4, 4] },
      decoder: { depth: 8, kernels: [6, 6] },
      rssm: { deter: 32, hidden: 32, latent: { kind: 'gaussian', size: 6, minStd: 0.1 } },
      loss: { freeNats: 0, overshooting: { distance, scale: distance > 0 ? 1 : 0 } },
      train: { lr: 3e-3 },
    }),
    1,
  );
}

function disposeB(b: SeqBatch): void {
  tf.dispose([b.image, b.action, b.reward, b.cont, b.isFirst]);
}

test('overshooting: the posterior target gets no gradient with stopPosteriorGrad (PlaNet os_stop_posterior_grad)', () => {
  for (const stop of [true, false]) {
    const c = withActionDim(
      rssmConfig('debug', {
        image: { size: 16 },
        encoder: { kernels: [4, 4] },
        decoder: { kernels: [6, 6] },
        loss: { freeNats: 0, overshooting: { distance: 2, scale: 1, stopPosteriorGrad: stop } },
      }),
      1,
    );
    const m = createRssmModel(c, 5);
    const batch = dotBatch(2, 6, new Rng(1));
    const { post } = observeBatch(m.params, c, batch, null);
    if (post.dist.kind !== 'gaussian') throw new Error('gaussian expected');
    const { deter, stoch } = post;
    const grads = tf.grads(
      (mean: tf.Tensor, std: tf.Tensor) =>
        overshootingLoss(
          m.params,
          c,
          { deter, stoch, dist: { kind: 'gaussian', mean, std } },
          batch.action,
          batch.isFirstHost,
          null,
        ).loss,
    );
    // A stop-gradient is a leaf of the tape (core/tensor/stop-gradient.ts): with nothing else reaching the
    // target, tfjs finds no path at all and says so — no gradient, as asked.
    let mag = 0;
    try {
      const g = grads([post.dist.mean, post.dist.std]);
      mag = tf.sum(tf.abs(g[0])).dataSync()[0] + tf.sum(tf.abs(g[1])).dataSync()[0];
    } catch (e) {
      if (!stop || !/Cannot compute gradient/.test((e as Error).message)) throw e;
    }
    if (stop) assert.equal(mag, 0, 'no gradient into the posterior target');
    else assert.ok(mag > 0, 'without the stop-gradient the target receives gradient');
    disposeB(batch);
    disposeRssmModel(m);
  }
});

test(
  'switching latent overshooting on changes multi-step prediction: lower 3–5-step prior KL after equal training',
  { timeout: 240_000 },
  () => {
    const steps = 120;
    const evalBatch = dotBatch(16, 12, new Rng(999));
    const results: Record<string, number[]> = {};
    const finals: Record<string, Float32Array> = {};
    for (const [name, distance] of [
      ['off', 0],
      ['on', 5],
    ] as const) {
      const c = tinyConfig(distance);
      const m = createRssmModel(c, 7);
      const rng = new Rng(3);
      for (let i = 0; i < steps; i++) {
        const b = dotBatch(8, 12, rng);
        const r = trainStep(m, b);
        assert.equal(r.skipped, false);
        disposeB(b);
      }
      // Multi-step prior KL on held-out sequences: KL(q(s_{t+d}) ‖ p(s_{t+d} | s_t, a_{t+1..t+d})), d = 1..5.
      const klPerD = tf.tidy(() => {
        const { post } = observeBatch(m.params, c, evalBatch, null);
        const o = overshootingLoss(m.params, c, post, evalBatch.action, evalBatch.isFirstHost, null, 5);
        return tf.stack(o.klPerDistance);
      });
      results[name] = Array.from(klPerD.dataSync());
      finals[name] = m.params['rssm/img_dist/w'].dataSync() as Float32Array;
      klPerD.dispose();
      disposeRssmModel(m);
    }
    disposeB(evalBatch);
    console.log('multi-step prior KL by distance d=1..5:', JSON.stringify(results));
    assert.notDeepEqual(Array.from(finals.on), Array.from(finals.off), 'overshooting changes the trained transition');
    const far = (xs: number[]) => xs[2] + xs[3] + xs[4];
    assert.ok(
      far(results.on) < far(results.off),
      `3–5-step KL with overshooting ${far(results.on)} should be below without ${far(results.off)}`,
    );
  },
);
