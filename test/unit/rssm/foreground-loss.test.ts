/**
 * The foreground-weighted image loss of the RSSM (decoder.foregroundWeight, issue 11 item 2): the weights follow
 * the eval's foreground mask against the training episodes' mean frame, the loss equals ½·Σ w·(x − y)² + the
 * plain constant, the mean frame comes from the training split only (in memory and streamed), a checkpoint
 * carries it to a resumed session, and bad weights are refused in one line.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { foregroundWeights, trainingMeanFrame } from '../../../core/media/foreground.ts';
import { imageNll } from '../../../core/models/rssm/losses.ts';
import { parseRssmConfig, rssmConfig, withActionDim } from '../../../core/models/rssm/config.ts';
import { batchRows, computeLosses, createRssmModel, disposeRssmModel } from '../../../core/models/rssm/world-model.ts';
import { decode } from '../../../core/models/rssm/networks.ts';
import { encodeSequence } from '../../../core/models/rssm/networks.ts';
import { observe, seqFeatures } from '../../../core/models/rssm/rssm.ts';
import { rssmFamily } from '../../../core/models/rssm/family.ts';
import type { FamilyCheckpoint, TrainData } from '../../../core/models/family.ts';
import type { Episode } from '../../../core/data/episode.ts';
import { makeEnv } from '../../../core/envs/registry.ts';
import { cartpoleEpisodes as episodes } from '../data/helpers.ts';
import { addEpisode, createDataset } from '../../../core/data/dataset.ts';
import { loadTrainData } from '../../../core/runs/run-data.ts';
import { Rng } from '../../../core/util/rng.ts';
import { disposeBatch, randomBatch } from './helpers.ts';

before(async () => {
  await initBackend();
});

test('foregroundWeights: the weight where a pixel is > 0.1 off the mean frame in any channel, 1 elsewhere', () => {
  // Two 2×2 frames (0–255) against a mean frame: 0.1 in [0, 1] is 25.5 on the 0–255 scale.
  const mean = [100, 100, 100, 0, 0, 0, 255, 255, 255, 50, 60, 70];
  const frames = [
    ...[100, 100, 100, 0, 26, 0, 255, 255, 230, 50, 60, 70], // pixel 1 (+26 green) and 2 (−25, not > 25.5): 1 only
    ...[126, 100, 100, 0, 0, 0, 229, 255, 255, 50, 60, 96], // pixel 0 (+26), 2 (−26), 3 (+26 blue)
  ];
  assert.deepEqual(Array.from(foregroundWeights(frames, 2, mean, 7)), [1, 7, 1, 1, 7, 1, 7, 7]);
  assert.throws(() => foregroundWeights(frames, 3, mean, 7), /expected 3·12 values/);
});

test('imageNll with weights = ½·Σ w·(x − y)² + ½·HWC·ln 2π per image (weights broadcast over channels)', () => {
  const x = [0.1, -0.2, 0.3, 0.4, 0.5, -0.6, 0.0, 0.2, -0.1, 0.3, 0.2, 0.1]; // [2 images, 1×2 px, 3 ch]
  const y = [0.0, 0.1, 0.3, -0.4, 0.5, 0.2, 0.1, 0.2, 0.3, -0.3, 0.0, 0.4];
  const w = [2, 1, 1, 5]; // [2, 1, 2, 1]
  const got = imageNll(tf.tensor4d(x, [2, 1, 2, 3]), tf.tensor4d(y, [2, 1, 2, 3]), tf.tensor4d(w, [2, 1, 2, 1]));
  const expected = [0, 1].map((n) => {
    let s = 0;
    for (let p = 0; p < 2; p++)
      for (let c = 0; c < 3; c++) s += w[n * 2 + p] * (x[n * 6 + p * 3 + c] - y[n * 6 + p * 3 + c]) ** 2;
    return 0.5 * s + 0.5 * 6 * Math.log(2 * Math.PI);
  });
  const g = got.dataSync();
  for (let i = 0; i < 2; i++) assert.ok(Math.abs(g[i] - expected[i]) < 1e-5, `image ${i}: ${g[i]} vs ${expected[i]}`);
});

test("the model's image loss uses the batch's pixel weights: image_loss(w) − image_loss(1) = ½·mean Σ (w − 1)·(x − y)²", () => {
  const c = withActionDim(rssmConfig('debug'), 1);
  const m = createRssmModel(c, 1);
  const [B, T, S] = [2, 3, c.image.size];
  const batch = randomBatch(B, T, S);
  const host = new Float32Array(B * T * S * S).map((_, i) => 1 + ((i * 7) % 5));
  const weighted = { ...batch, pixelWeight: tf.tensor4d(host, [B, T, S, S]) };
  const plain = computeLosses(m.params, c, batch, null);
  const ones = computeLosses(m.params, c, { ...batch, pixelWeight: tf.ones([B, T, S, S]) }, null);
  const withW = computeLosses(m.params, c, weighted, null);
  // The reconstruction the loss sees (seeds null: the posterior's mode, as computeLosses with null draws).
  const expected = tf.tidy(() => {
    const embed = encodeSequence(m.params, c, batch.image);
    const { post } = observe(m.params, c, embed, batch.action, batch.isFirst, null);
    const recon = decode(m.params, c, seqFeatures(post));
    const sq = tf.square(tf.sub(recon, tf.reshape(batch.image, recon.shape)));
    const extra = tf.mul(sq, tf.reshape(tf.sub(weighted.pixelWeight, 1), [B * T, S, S, 1]));
    return tf.div(tf.mul(tf.sum(extra), 0.5), B * T).dataSync()[0];
  });
  const [p, o, w] = [plain, ones, withW].map((r) => r.metrics.image_loss.dataSync()[0]);
  assert.ok(Math.abs(o - p) < 1e-3 * Math.abs(p), `all-ones weights = the plain likelihood: ${o} vs ${p}`);
  assert.ok(Math.abs(w - p - expected) < 1e-3 * Math.abs(expected), `Δ ${w - p} vs ${expected}`);
  // A micro-batch carries its own rows' weights (gradient accumulation splits the batch by rows).
  const part = batchRows(weighted, 1, 1);
  assert.deepEqual(Array.from(part.pixelWeight!.dataSync()), Array.from(host.subarray(T * S * S)));
  tf.dispose([weighted.pixelWeight, part.image, part.action, part.reward, part.cont, part.isFirst, part.pixelWeight!]);
  for (const r of [plain, ones, withW]) tf.dispose([r.model_loss, ...Object.values(r.metrics)]);
  disposeBatch(batch);
  disposeRssmModel(m);
});

const signal = new AbortController().signal;
const CONFIG = rssmConfig('debug', { decoder: { foregroundWeight: 10 }, train: { batch: 2, length: 8 } });

async function sessionOn(data: TrainData) {
  return rssmFamily.createSession({ config: CONFIG, seed: 0, data, runDir: null, log: () => {} });
}
const meanOf = (ck: FamilyCheckpoint) => Array.from(ck.tensors['fg/mean'].dataSync());
const near = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  a.length === b.length && Array.from(a).every((v, i) => Math.abs(v - b[i]) < 1e-3);

test('the mean frame is the training episodes’ (held-out ones excluded), at the model’s size, and a checkpoint carries it', async () => {
  // 64 px episodes into a 32 px model: the mean is taken after the resize, as the eval's is.
  const [train, heldOut, other] = [episodes(3, 64), episodes(2, 64, 10), episodes(3, 64, 20)];
  const space = makeEnv('cartpole-swingup', { size: 64 }).actionSpace;
  const data = (tr: Episode[]): TrainData => ({
    dataset: null,
    env: 'cartpole-swingup',
    actionSpace: space,
    imageSize: 64,
    train: tr,
    heldOut,
  });
  const a = await sessionOn(data(train));
  assert.equal(a.checkpoint().tensors['fg/mean'], undefined, 'no mean frame before the first step');
  await a.step({ phase: 'model', step: 0, globalStep: 0, rng: new Rng(0), poison: false, signal });
  const ck = a.checkpoint();
  const fromTrain = trainingMeanFrame(train, 32)!;
  assert.ok(near(meanOf(ck), fromTrain), 'the checkpoint holds the training episodes’ mean frame at 32 px');
  assert.ok(!near(fromTrain, trainingMeanFrame([...train, ...heldOut], 32)!), 'held-out frames would change it');
  // A session on other episodes resumed from the checkpoint weights the same pixels as the one that wrote it.
  const b = await sessionOn(data(other));
  b.restore(ck);
  await b.step({ phase: 'model', step: 1, globalStep: 1, rng: new Rng(1), poison: false, signal });
  const ckB = b.checkpoint();
  assert.ok(near(meanOf(ckB), fromTrain), 'resumed: the checkpoint’s mean frame, not the new episodes’');
  assert.ok(!near(fromTrain, trainingMeanFrame(other, 32)!), 'the other episodes have another mean frame');
  for (const k of [ck, ckB]) tf.dispose(k.owned ?? []);
  const before = tf.memory().numTensors;
  for (let i = 2; i < 4; i++) {
    await b.step({ phase: 'model', step: i, globalStep: i, rng: new Rng(i), poison: false, signal });
    tf.dispose(b.checkpoint().owned ?? []);
  }
  assert.equal(tf.memory().numTensors, before, 'no tensor leaked per weighted step and checkpoint');
  a.dispose();
  b.dispose();
});

test('a streamed dataset (the replay) gives the mean frame of its training split', async () => {
  const ws = mkdtempSync(join(tmpdir(), 'oneiro-fg-'));
  try {
    const env = makeEnv('cartpole-swingup', { size: 64 });
    const ds = createDataset(ws, 'd', {
      env: 'cartpole-swingup',
      observationShape: [64, 64, 3],
      actionSpace: env.actionSpace as { kind: 'box'; shape: number[]; low: number[]; high: number[] },
      source: { kind: 'collect', policy: 'random', seed: 0 },
    });
    for (const ep of episodes(8, 64)) addEpisode(ds, ep);
    const inMemory = loadTrainData(ws, 'd', 0.3);
    assert.ok(inMemory.heldOut.length > 0 && inMemory.train.length > 0, 'the split holds episodes out');
    const streamed = loadTrainData(ws, 'd', 0.3, undefined, { cacheBytes: 2 ** 26 });
    assert.ok(streamed.trainReplay && streamed.train.length === 0);
    const s = await sessionOn(streamed);
    await s.step({ phase: 'model', step: 0, globalStep: 0, rng: new Rng(0), poison: false, signal });
    const ck = s.checkpoint();
    assert.ok(near(meanOf(ck), trainingMeanFrame(inMemory.train, 32)!));
    tf.dispose(ck.owned ?? []);
    s.dispose();
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('decoder.foregroundWeight: below 1 refused in one line naming the field; an older config without it reads as 1', () => {
  assert.throws(
    () => rssmConfig('small', { decoder: { foregroundWeight: 0.5 } }),
    (e: Error) => /decoder\.foregroundWeight/.test(e.message) && !e.message.includes('\n'),
  );
  const old = structuredClone(rssmConfig('planet')) as { decoder: Record<string, unknown> };
  delete old.decoder.foregroundWeight;
  assert.equal(parseRssmConfig(old).decoder.foregroundWeight, 1);
  for (const p of ['planet', 'dreamerv1', 'dreamerv2', 'debug', 'default'])
    assert.equal(rssmConfig(p).decoder.foregroundWeight, 1, `${p} keeps the papers' plain likelihood`);
  assert.equal(rssmConfig('small').decoder.foregroundWeight, 20, 'the CPU preset weights the foreground');
});
