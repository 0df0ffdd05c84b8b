/**
 * decoder.foregroundMask 'either' (issue 11 item 2): the foreground weight also lands where the stopped-gradient
 * reconstruction differs from the mean frame by > 0.1 in a channel, so a phantom cart costs as much as a missing
 * one. The weight against the formula on a fixture, the model's image loss with it, the family passing the mean
 * frame only for 'either', and the option validated with 'target' (the old behaviour) as the default.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { eitherForegroundWeight } from '../../../core/models/rssm/losses.ts';
import { parseRssmConfig, rssmConfig, withActionDim } from '../../../core/models/rssm/config.ts';
import {
  batchRows,
  computeLosses,
  createRssmModel,
  disposeRssmModel,
  trainStep,
} from '../../../core/models/rssm/world-model.ts';
import { decode, encodeSequence } from '../../../core/models/rssm/networks.ts';
import { observe, seqFeatures } from '../../../core/models/rssm/rssm.ts';
import { disposeSeqBatch, toSeqBatch } from '../../../core/models/rssm/batch.ts';
import { rssmFamily } from '../../../core/models/rssm/family.ts';
import type { TrainData } from '../../../core/models/family.ts';
import { makeEnv } from '../../../core/envs/registry.ts';
import { randomPolicy } from '../../../core/agents/random-agents.ts';
import { rolloutEpisode } from '../../../core/agents/rollout.ts';
import { Rng } from '../../../core/util/rng.ts';
import { disposeBatch, randomBatch } from './helpers.ts';

before(async () => {
  await initBackend();
});

/** The 'either' weight on the host, written from the formula: w where the target weight is w or any channel of
 * the prediction is > 0.1 off the mean, else 1. recon [N·P·3], mean [P·3], target weights [N·P]. */
function hostEither(recon: ArrayLike<number>, mean: ArrayLike<number>, tw: ArrayLike<number>, w: number): number[] {
  const P = mean.length / 3;
  return Array.from(tw, (t, i) => {
    const [n, p] = [Math.floor(i / P), i % P];
    let fg = false;
    for (let c = 0; c < 3; c++) if (Math.abs(recon[(n * P + p) * 3 + c] - mean[p * 3 + c]) > 0.1) fg = true;
    return t === w || fg ? w : 1;
  });
}

test("eitherForegroundWeight: w on the target's foreground or where the prediction is > 0.1 off the mean frame", () => {
  // 2 frames of 2×2 px. Mean frame on the [−0.5, 0.5] scale.
  const mean = [0, 0, 0, 0.2, 0.2, 0.2, -0.5, -0.5, -0.5, 0.1, 0.3, -0.1];
  const recon = [
    ...[0, 0.15, 0, 0.2, 0.2, 0.2, -0.45, -0.5, -0.5, 0.1, 0.3, -0.1], // px 0 green +0.15 (phantom); px 2 +0.05 (not)
    ...[0, 0, 0, 0.2, 0.05, 0.2, -0.5, -0.5, -0.5, 0.1, 0.3, 0.05], // px 1 −0.15; px 3 blue +0.15
  ];
  const targetWeight = [1, 1, 7, 1, 7, 1, 1, 1]; // the targets' own foreground: frame 0 px 2, frame 1 px 0
  const got = tf.tidy(() =>
    Array.from(
      eitherForegroundWeight(
        tf.tensor4d(recon, [2, 2, 2, 3]),
        tf.tensor3d(mean, [2, 2, 3]),
        tf.tensor4d(targetWeight, [2, 2, 2, 1]),
        7,
      ).dataSync(),
    ),
  );
  assert.deepEqual(got, [7, 1, 7, 1, 7, 7, 1, 7]);
  assert.deepEqual(got, hostEither(recon, mean, targetWeight, 7), 'the host formula agrees');
});

test("the model's image loss with 'either' = ½·mean Σ w_either·(x − y)² + const, and it still trains", () => {
  const c = withActionDim(rssmConfig('debug', { decoder: { foregroundWeight: 20, foregroundMask: 'either' } }), 1);
  const m = createRssmModel(c, 1);
  const [B, T, S] = [2, 3, c.image.size];
  const batch = randomBatch(B, T, S);
  const tw = new Float32Array(B * T * S * S).map((_, i) => (i % 11 === 0 ? 20 : 1));
  // A mean frame near the untrained decoder's flat output in some pixels and far from it in others.
  const meanHost = new Float32Array(S * S * 3).map((_, i) => ((i * 13) % 7) / 10 - 0.3);
  const extra = { pixelWeight: tf.tensor4d(tw, [B, T, S, S]), foregroundMean: tf.tensor3d(meanHost, [S, S, 3]) };
  const batchW = () => ({ ...batch, ...extra });
  const either = computeLosses(m.params, c, batchW(), null);
  const target = computeLosses(m.params, { ...c, decoder: { ...c.decoder, foregroundMask: 'target' } }, batchW(), null);
  const { expected, phantoms } = tf.tidy(() => {
    const embed = encodeSequence(m.params, c, batch.image);
    const { post } = observe(m.params, c, embed, batch.action, batch.isFirst, null);
    const recon = decode(m.params, c, seqFeatures(post));
    const r = recon.dataSync();
    const y = tf.reshape(batch.image, recon.shape).dataSync();
    const w = hostEither(r, meanHost, tw, 20);
    let sse = 0;
    for (let i = 0; i < w.length; i++)
      for (let ch = 0; ch < 3; ch++) sse += w[i] * (r[i * 3 + ch] - y[i * 3 + ch]) ** 2;
    const constant = 0.5 * S * S * 3 * Math.log(2 * Math.PI);
    return { expected: (0.5 * sse) / (B * T) + constant, phantoms: w.filter((x, i) => x === 20 && tw[i] === 1).length };
  });
  assert.ok(phantoms > 0, 'the fixture has predicted-only foreground pixels');
  const [e, t] = [either, target].map((r) => r.metrics.image_loss.dataSync()[0]);
  assert.ok(Math.abs(e - expected) < 1e-4 * Math.abs(expected), `image_loss ${e} vs the formula ${expected}`);
  assert.ok(e > t, `phantom pixels weigh more with 'either' (${e}) than with 'target' (${t})`);
  // A micro-batch keeps the (shared) mean frame whole.
  const part = batchRows({ ...batch, ...extra }, 1, 1);
  assert.equal(part.foregroundMean, extra.foregroundMean);
  tf.dispose([part.image, part.action, part.reward, part.cont, part.isFirst, part.pixelWeight!]);
  // The mask carries no gradient, the loss does: one Adam step with 'either' applies and leaks nothing.
  const before = tf.memory().numTensors;
  const r = trainStep(m, batchW());
  assert.ok(!r.skipped && Number.isFinite(Number(r.metrics.grad_norm)) && Number(r.metrics.grad_norm) > 0, 'applied');
  assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
  for (const x of [either, target]) tf.dispose([x.model_loss, ...Object.values(x.metrics)]);
  tf.dispose(Object.values(extra));
  disposeBatch(batch);
  disposeRssmModel(m);
});

test('toSeqBatch scales the mean frame like the images (0–255 → [−0.5, 0.5]) and disposeSeqBatch frees it', () => {
  const S = 2;
  const arrays = {
    image: new Uint8Array(S * S * 3 * 2),
    action: new Float32Array(2),
    reward: new Float32Array(2),
    cont: new Float32Array(2).fill(1),
    isFirst: Uint8Array.from([1, 0]),
    B: 1,
    L: 2,
  };
  const mean = Float32Array.from({ length: S * S * 3 }, (_, i) => i * 20);
  const before = tf.memory().numTensors;
  const b = toSeqBatch(arrays, S, 1, undefined, mean);
  const got = Array.from(b.foregroundMean!.dataSync());
  assert.ok(got.every((v, i) => Math.abs(v - ((i * 20) / 255 - 0.5)) < 1e-6));
  disposeSeqBatch(b);
  assert.equal(tf.memory().numTensors, before);
});

test("the family hands the loss the mean frame for 'either' only, and the step trains without leaking", async () => {
  const env = makeEnv('cartpole-swingup', { size: 32, maxSteps: 20 });
  const train = [0, 1, 2].map((i) => rolloutEpisode(env, randomPolicy(env.actionSpace, new Rng(i)), i).episode);
  const data: TrainData = {
    dataset: null,
    env: 'cartpole-swingup',
    actionSpace: env.actionSpace,
    imageSize: 32,
    train,
    heldOut: [],
  };
  const signal = new AbortController().signal;
  const losses: number[] = [];
  for (const mask of ['target', 'either'] as const) {
    const config = rssmConfig('debug', {
      decoder: { foregroundWeight: 20, foregroundMask: mask },
      train: { batch: 2, length: 8 },
    });
    const s = await rssmFamily.createSession({ config, seed: 0, data, runDir: null, log: () => {} });
    const r = await s.step({ phase: 'model', step: 0, globalStep: 0, rng: new Rng(0), poison: false, signal });
    losses.push(Number(r.metrics.image_loss));
    const before = tf.memory().numTensors;
    await s.step({ phase: 'model', step: 1, globalStep: 1, rng: new Rng(1), poison: false, signal });
    assert.equal(tf.memory().numTensors, before, `${mask}: no tensor leaked per step`);
    s.dispose();
  }
  // Same seed, same batch, same initial weights: only the mask differs, and the untrained decoder paints pixels
  // off the mean frame that are not the targets' foreground, so 'either' weighs more of them.
  assert.ok(losses[1] > losses[0], `image_loss 'either' ${losses[1]} > 'target' ${losses[0]}`);
});

test("decoder.foregroundMask: 'target' by default and in every preset, a bad value refused in one line", () => {
  const old = structuredClone(rssmConfig('small')) as { decoder: Record<string, unknown> };
  delete old.decoder.foregroundMask;
  assert.equal(parseRssmConfig(old).decoder.foregroundMask, 'target', 'an older config reads the old behaviour');
  for (const p of ['planet', 'dreamerv1', 'dreamerv2', 'debug', 'default'])
    assert.equal(rssmConfig(p).decoder.foregroundMask, 'target', p);
  assert.equal(rssmConfig('debug', { decoder: { foregroundMask: 'either' } }).decoder.foregroundMask, 'either');
  assert.throws(
    () => rssmConfig('small', { decoder: { foregroundMask: 'both' as 'either' } }),
    (e: Error) => /decoder\.foregroundMask/.test(e.message) && /either/.test(e.message) && !e.message.includes('\n'),
  );
});
