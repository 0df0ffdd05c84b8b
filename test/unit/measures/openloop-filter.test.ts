/**
 * Where the eval's open loop starts filtering (OpenLoopFilter, issue 11 session 11): 'episode' from the episode's
 * first frame (the default), N from the N frames ending at the dream's start (the 5-frame protocol of earlier
 * reports). A model whose dream depends on the whole prefix scores differently under the two; the context the
 * reconstruction and copy-last-frame read stays the last 5 frames; the report names its protocol; every family's
 * open loop honours `filterFrom` and frees its tensors.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { makeEnv } from '../../../core/envs/registry.ts';
import { randomPolicy } from '../../../core/agents/random-agents.ts';
import { rolloutEpisode } from '../../../core/agents/rollout.ts';
import type { Episode } from '../../../core/data/episode.ts';
import type { Features, LoadedModel, OpenLoopOptions, OpenLoopResult, TrainData } from '../../../core/models/family.ts';
import { getFamily } from '../../../core/models/registry.ts';
import { latentOpenLoop } from '../../../core/models/latent-openloop.ts';
import { resizeFrames } from '../../../core/media/frames.ts';
import {
  OPENLOOP_CONTEXT,
  measureOpenLoop,
  parseOpenLoopFilter,
  trainingMeanFrame,
  trainingMeanReward,
} from '../../../core/runs/openloop-measures.ts';
import { evaluateModel } from '../../../core/runs/evaluate.ts';
import { PROBE_STEPS } from '../../../core/runs/state-probe.ts';
import { Rng } from '../../../core/util/rng.ts';

before(async () => {
  await initBackend();
});

const S = 32;
const px = S * S * 3;
const env = makeEnv('cartpole-swingup', { size: S, maxSteps: 40 });
const episodes = (n: number, seed0: number, e = env): Episode[] =>
  Array.from(
    { length: n },
    (_, i) => rolloutEpisode(e, randomPolicy(e.actionSpace, new Rng(seed0 + i)), seed0 + i).episode,
  );
const TRAIN = episodes(4, 10);
// 100 frames: 4 dream starts per episode (4, 19, 35, 50), only the first within 5 frames of frame 0.
const HELD = episodes(2, 100, makeEnv('cartpole-swingup', { size: S, maxSteps: 100 }));
const MEAN = trainingMeanFrame(TRAIN, S)!;
const MEAN8 = Uint8Array.from(MEAN, (v) => Math.round(v));
const frames = (ep: Episode) => resizeFrames(ep.image, ep.imageShape[0], ep.imageShape[1], S);
const stateOf = (ep: Episode, t: number) => {
  const s = ep.extra!.state;
  const d = s.shape[1];
  return Float32Array.from((s.data as Float32Array).subarray(t * d, (t + 1) * d));
};

/**
 * A model that knows where it is only when it has filtered the episode from its first frame: then its dream is the
 * true frame and its features the true state; filtered from later, it dreams the mean frame and its features are
 * zero. Its open loop records what it was asked (filterFrom, the returned context).
 */
function prefixModel(asked: OpenLoopOptions[]): LoadedModel {
  return {
    imageSize: S,
    pixels: 'decoder',
    evaluate: async () => ({}),
    async openloop(ep: Episode, o: OpenLoopOptions): Promise<OpenLoopResult> {
      asked.push(o);
      const T = ep.imageShape[0];
      const f = frames(ep);
      const from = o.filterFrom ?? o.start - o.context + 1;
      const whole = from === 0;
      const ctx = Array.from({ length: o.context }, (_, i) => o.start - o.context + 1 + i);
      const dream = Array.from({ length: o.horizon }, (_, k) => o.start + 1 + k).filter((t) => t < T);
      const pick = (ts: number[]) => {
        const out = new Uint8Array(ts.length * px);
        ts.forEach((t, i) => out.set(whole ? f.subarray(t * px, (t + 1) * px) : MEAN8, i * px));
        return out;
      };
      const real = (ts: number[]) => {
        const out = new Uint8Array(ts.length * px);
        ts.forEach((t, i) => out.set(f.subarray(t * px, (t + 1) * px), i * px));
        return out;
      };
      const dim = stateOf(ep, 0).length;
      const feats: Features = { dim, data: new Float32Array(dream.length * dim) };
      if (whole) dream.forEach((t, i) => feats.data.set(stateOf(ep, t), i * dim));
      return {
        size: S,
        contextIndices: ctx,
        dreamIndices: dream,
        context: real(ctx),
        truth: real(dream),
        contextRecon: real(ctx),
        dream: pick(dream),
        mse: dream.map(() => NaN),
        ...(o.features ? { features: feats } : {}),
      };
    },
    dreamSession: () => {
      throw new Error('not used');
    },
    filterFeatures: (ep) => {
      const T = ep.imageShape[0];
      const dim = stateOf(ep, 0).length;
      const data = new Float32Array(T * dim);
      for (let t = 0; t < T; t++) data.set(stateOf(ep, t), t * dim);
      return { dim, data };
    },
    reinitialized: async () => prefixModel([]),
    dispose: () => {},
  };
}

const opts = { seed: 0, meanReward: trainingMeanReward(TRAIN) };

test('a model whose dream needs the whole prefix: exact filtered from frame 0, the mean frame from 5 frames', async () => {
  const askedE: OpenLoopOptions[] = [];
  const asked5: OpenLoopOptions[] = [];
  const ep = await measureOpenLoop(prefixModel(askedE), HELD, MEAN, { ...opts, filter: 'episode' });
  const five = await measureOpenLoop(prefixModel(asked5), HELD, MEAN, { ...opts, filter: 5 });
  const dflt = await measureOpenLoop(prefixModel([]), HELD, MEAN, opts);
  for (const h of [1, 10]) {
    const e = ep.metrics[`openloop_fg_mse@${h}`];
    const f = five.metrics[`openloop_fg_mse@${h}`];
    assert.equal(e.model, 0, `@${h}: filtered from frame 0 the dream is the truth`);
    // 3 of 4 windows start past frame 4 and dream the mean frame (the first filters from frame 0 either way).
    assert.ok(f.model > 0.5 * f.baselines!['mean-frame'], `@${h}: ${f.model} vs ${f.baselines!['mean-frame']}`);
    // Same dream starts, same last-5 context: copy-last-frame and the mean frame score alike under both.
    assert.deepEqual(e.baselines, f.baselines, `@${h}: baselines read the same context`);
    assert.deepEqual(dflt.metrics[`openloop_fg_mse@${h}`], e, 'the default is the episode protocol');
  }
  assert.deepEqual(ep.metrics.recon_mse, five.metrics.recon_mse);
  assert.deepEqual(
    askedE.map((o) => [o.start, o.filterFrom, o.context]),
    asked5.map((o) => [o.start, 0, OPENLOOP_CONTEXT]),
  );
  assert.deepEqual(
    asked5.map((o) => o.filterFrom),
    asked5.map((o) => o.start - 4),
  );
  assert.deepEqual([...new Set(asked5.map((o) => o.start))], [4, 19, 35, 50]);
  assert.ok(
    askedE.some((o) => o.start > 4),
    'dreams start after frame 4 too',
  );
  assert.ok(ep.notes.some((n) => /first frame/.test(n)) && five.notes.some((n) => /5 real frames/.test(n)));
});

test('the state probe after k open-loop steps filters under the same protocol', async () => {
  const data: TrainData = {
    dataset: 'mem',
    env: 'cartpole-swingup',
    actionSpace: env.actionSpace,
    imageSize: S,
    train: TRAIN,
    heldOut: HELD,
  };
  const e = await evaluateModel(prefixModel([]), data, { seed: 0, filter: 'episode' });
  const f = await evaluateModel(prefixModel([]), data, { seed: 0, filter: 5 });
  const d = await evaluateModel(prefixModel([]), data, { seed: 0 });
  const key = `probe_r2/cos pole angle@${PROBE_STEPS}`;
  assert.ok(e.metrics[key].model > 0.99, `${e.metrics[key].model}`);
  assert.ok(f.metrics[key].model < 0.1, `${f.metrics[key].model}`);
  assert.equal(e.metrics['probe_r2/cos pole angle@0'].model, f.metrics['probe_r2/cos pole angle@0'].model);
  // The report names its protocol.
  assert.equal(e.openloop_context, 'episode');
  assert.equal(f.openloop_context, 5);
  assert.equal(d.openloop_context, 'episode');
  assert.deepEqual(JSON.parse(JSON.stringify(f)).openloop_context, 5);
});

test("--context: 'episode' or a whole number of frames from 1, else one line", () => {
  assert.equal(parseOpenLoopFilter('episode'), 'episode');
  assert.equal(parseOpenLoopFilter('5'), 5);
  for (const bad of ['0', '-3', '2.5', 'all', ''])
    assert.throws(() => parseOpenLoopFilter(bad), /--context must be 'episode' or a whole number/);
});

const data: TrainData = {
  dataset: 'mem',
  env: 'cartpole-swingup',
  actionSpace: env.actionSpace,
  imageSize: S,
  train: TRAIN.slice(0, 3),
  heldOut: HELD.slice(0, 1),
};

for (const name of ['rssm', 'world-models']) {
  test(`${name}: filterFrom 0 changes the dream, the context stays the last 5 frames; no leaks`, async () => {
    const family = await getFamily(name);
    const config = family.resolveConfig('debug', name === 'world-models' ? { controller: { enabled: false } } : {});
    const ctx = { config, seed: 0, data, runDir: null, log: () => {} };
    const session = await family.createSession(ctx);
    const model = await family.loadModel(ctx, session.checkpoint());
    session.dispose();
    try {
      const ep = HELD[0];
      const start = 20;
      const o = { start, horizon: 10, context: 5, temperature: 0, seed: 0, features: true };
      const before = tf.memory().numTensors;
      const dflt = await model.openloop!(ep, o);
      const last5 = await model.openloop!(ep, { ...o, filterFrom: start - 4 });
      const whole = await model.openloop!(ep, { ...o, filterFrom: 0 });
      assert.equal(tf.memory().numTensors, before, 'open loops free their tensors');
      assert.deepEqual(last5.dream, dflt.dream, 'filterFrom start−4 is the old 5-frame window');
      assert.deepEqual(last5.features, dflt.features);
      assert.notDeepEqual(whole.features!.data, dflt.features!.data, 'the state after the whole prefix differs');
      assert.deepEqual(whole.contextIndices, [16, 17, 18, 19, 20]);
      assert.deepEqual(whole.context, dflt.context);
      assert.equal(whole.contextRecon.length, 5 * px);
      await assert.rejects(model.openloop!(ep, { ...o, filterFrom: start + 1 }), /filterFrom must be a frame index/);
      // The latent view's open loop (families without pixels dream through it) honours filterFrom too.
      const wm = model.latent!();
      const l5 = latentOpenLoop(wm, ep, o, null);
      const l0 = latentOpenLoop(wm, ep, { ...o, filterFrom: 0 }, null);
      assert.notDeepEqual(l0.features!.data, l5.features!.data);
      assert.deepEqual(l0.contextIndices, [16, 17, 18, 19, 20]);
      assert.equal(tf.memory().numTensors, before, 'latent open loops free their tensors');
      const b2 = tf.memory().numTensors;
      const r = await evaluateModel(model, data, { seed: 0, filter: 'episode' });
      assert.equal(tf.memory().numTensors, b2, 'an episode-protocol evaluation frees its tensors');
      assert.equal(r.openloop_context, 'episode');
    } finally {
      model.dispose();
    }
  });
}
