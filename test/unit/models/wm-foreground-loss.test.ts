/**
 * The foreground-weighted reconstruction loss of World Models' VAE (vae.foregroundWeight, issue 11 item 2): the
 * weights are the RSSM's (media/foreground.ts against the training episodes' mean frame), recon_loss = mean over
 * images of Σ w·(x − y)², the mean frame comes from the training episodes and a checkpoint carries it to a
 * resumed session (`fg/mean`), weight 1 is the paper's loss with no mean frame taken, and bad weights are refused
 * in one line.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { Rng } from '../../../core/util/rng.ts';
import { disposeParams } from '../../../core/models/nn.ts';
import { foregroundWeights, trainingMeanFrame } from '../../../core/media/foreground.ts';
import {
  PRESETS,
  parseWorldModelsConfig,
  resolveWorldModelsConfig,
  type VaeConfig,
} from '../../../core/models/world-models/config.ts';
import { decode, encode, initVae, pixelWeights, vaeLoss } from '../../../core/models/world-models/vae.ts';
import { worldModelsFamily } from '../../../core/models/world-models/family.ts';
import type { FamilyCheckpoint, TrainData } from '../../../core/models/family.ts';
import type { Episode } from '../../../core/data/episode.ts';
import { makeEnv } from '../../../core/envs/registry.ts';
import { cartpoleEpisodes as episodes } from '../data/helpers.ts';

before(async () => {
  await initBackend();
});

test('vaeLoss with pixel weights: recon_loss = mean over images of Σ w·(x − y)² (weights broadcast over channels); mse unweighted', () => {
  const cfg: VaeConfig = { ...PRESETS.debug.vae, zDim: 4 };
  const rng = new Rng(5);
  const p = initVae(cfg, rng);
  const [B, S] = [3, cfg.imageSize];
  const px = S * S * 3;
  const xData = Float32Array.from({ length: B * px }, () => rng.next());
  const epsData = Float32Array.from({ length: B * cfg.zDim }, () => rng.normal());
  const wData = Float32Array.from({ length: B * S * S }, (_, i) => 1 + ((i * 7) % 5));
  const [x, eps, w] = [
    tf.tensor4d(xData, [B, S, S, 3]),
    tf.tensor2d(epsData, [B, cfg.zDim]),
    tf.tensor4d(wData, [B, S, S, 1]),
  ];
  // The reconstruction the loss sees, computed apart: z = μ + σ·ε, decoded.
  const enc = encode(p, cfg, x);
  const z = tf.tidy(() => tf.add(enc.mu, tf.mul(tf.exp(tf.mul(enc.logvar, 0.5)), eps)) as tf.Tensor2D);
  const recon = decode(p, cfg, z).dataSync();
  let weighted = 0,
    plain = 0;
  for (let i = 0; i < B * px; i++) {
    const d = (xData[i] - recon[i]) ** 2;
    weighted += (wData[Math.floor(i / 3)] * d) / B;
    plain += d / B;
  }
  const withW = vaeLoss(p, cfg, x, eps, w);
  const without = vaeLoss(p, cfg, x, eps);
  const r = (l: typeof withW) => l.metrics.recon_loss.dataSync()[0];
  assert.ok(Math.abs(r(withW) - weighted) < 1e-4 * weighted, `weighted recon_loss ${r(withW)} vs ${weighted}`);
  assert.ok(Math.abs(r(without) - plain) < 1e-4 * plain, `plain recon_loss ${r(without)} vs ${plain}`);
  // The loss moves by exactly the recon term's change (KL is the same); mse stays the unweighted mean.
  const dLoss = withW.loss.dataSync()[0] - without.loss.dataSync()[0];
  assert.ok(Math.abs(dLoss - (weighted - plain)) < 1e-3 * weighted, `Δloss ${dLoss} vs ${weighted - plain}`);
  assert.equal(withW.metrics.mse.dataSync()[0], without.metrics.mse.dataSync()[0]);
  for (const l of [withW, without]) tf.dispose([l.loss, ...Object.values(l.metrics)]);
  tf.dispose([x, eps, w, enc.mu, enc.logvar, z]);
  disposeParams(p);
});

test('pixelWeights: the shared foregroundWeights as [B, S, S, 1]; null at weight 1 (the plain SSE)', () => {
  const S = 4;
  const cfg = { ...PRESETS.debug.vae, imageSize: S, foregroundWeight: 9 };
  const rng = new Rng(2);
  const mean = Float32Array.from({ length: S * S * 3 }, () => rng.int(256));
  // Frames near the mean frame (±10) with every third pixel moved 60 in one channel: both kinds of pixel.
  const frames = Uint8Array.from({ length: 2 * S * S * 3 }, (_, i) => {
    const m = mean[i % mean.length] + rng.int(21) - 10;
    return Math.max(0, Math.min(255, Math.floor(i / 3) % 3 === 0 && i % 3 === 1 ? (m + 60) % 256 : m));
  });
  const w = pixelWeights(frames, 2, cfg, mean)!;
  assert.deepEqual(w.shape, [2, S, S, 1]);
  const expected = foregroundWeights(frames, 2, mean, 9);
  assert.deepEqual(Array.from(w.dataSync()), Array.from(expected));
  assert.ok(expected.includes(9) && expected.includes(1), 'both kinds of pixel occur');
  w.dispose();
  assert.equal(pixelWeights(frames, 2, { ...cfg, foregroundWeight: 1 }, mean), null);
});

const signal = new AbortController().signal;
const space = makeEnv('cartpole-swingup', { size: 64 }).actionSpace;
const data = (train: Episode[], heldOut: Episode[]): TrainData => ({
  dataset: null,
  env: 'cartpole-swingup',
  actionSpace: space,
  imageSize: 64,
  train,
  heldOut,
});
const sessionOn = (d: TrainData, foregroundWeight: number) =>
  worldModelsFamily.createSession({
    config: resolveWorldModelsConfig('debug', { vae: { foregroundWeight, batch: 4 }, controller: { enabled: false } }),
    seed: 0,
    data: d,
    runDir: null,
    log: () => {},
  });
const vaeStep = (s: Awaited<ReturnType<typeof sessionOn>>, i: number) =>
  s.step({ phase: 'vae', step: i, globalStep: i, rng: new Rng(i), poison: false, signal });
const meanOf = (ck: FamilyCheckpoint) => Array.from(ck.tensors['fg/mean'].dataSync());
const near = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  a.length === b.length && Array.from(a).every((v, i) => Math.abs(v - b[i]) < 1e-3);

test('the mean frame is the training episodes’ at the model’s size, taken at the first VAE step, and a checkpoint carries it to a resumed session', async () => {
  // 64 px episodes into the 32 px debug VAE: the mean is taken after the resize, as the eval's is.
  const [train, heldOut, other] = [episodes(3, 64), episodes(2, 64, 10), episodes(3, 64, 20)];
  const a = await sessionOn(data(train, heldOut), 10);
  assert.equal(a.checkpoint().tensors['fg/mean'], undefined, 'no mean frame before the first step');
  await vaeStep(a, 0);
  const ck = a.checkpoint();
  const fromTrain = trainingMeanFrame(train, 32)!;
  assert.ok(near(meanOf(ck), fromTrain), 'the checkpoint holds the training episodes’ mean frame at 32 px');
  assert.ok(!near(fromTrain, trainingMeanFrame([...train, ...heldOut], 32)!), 'held-out frames would change it');
  // A session on other episodes resumed from the checkpoint weights the same pixels as the one that wrote it.
  const b = await sessionOn(data(other, heldOut), 10);
  b.restore(ck);
  await vaeStep(b, 1);
  const ckB = b.checkpoint();
  assert.ok(near(meanOf(ckB), fromTrain), 'resumed: the checkpoint’s mean frame, not the new episodes’');
  assert.ok(!near(fromTrain, trainingMeanFrame(other, 32)!), 'the other episodes have another mean frame');
  // A loaded model ignores the extra tensor (it only assigns V's and M's parameters).
  const loaded = await worldModelsFamily.loadModel(
    {
      config: resolveWorldModelsConfig('debug', { vae: { foregroundWeight: 10 } }),
      seed: 0,
      data: data(train, heldOut),
      runDir: null,
      log: () => {},
    },
    ckB,
  );
  loaded.dispose();
  for (const k of [ck, ckB]) tf.dispose(k.owned ?? []);
  const before = tf.memory().numTensors;
  for (let i = 2; i < 4; i++) {
    await vaeStep(b, i);
    tf.dispose(b.checkpoint().owned ?? []);
  }
  assert.equal(tf.memory().numTensors, before, 'no tensor leaked per weighted step and checkpoint');
  a.dispose();
  b.dispose();
});

test('a session trains on the weighted loss; weight 1 (the paper) takes no mean frame and trains on the plain SSE', async () => {
  const d = data(episodes(2, 64), episodes(1, 64, 10));
  const [plain, weighted] = [await sessionOn(d, 1), await sessionOn(d, 10)];
  // Same seed, batch and noise: the same reconstruction, so the same unweighted mse and a larger weighted SSE.
  const [rp, rw] = [await vaeStep(plain, 0), await vaeStep(weighted, 0)];
  assert.ok(rp.applied && rw.applied);
  assert.equal(rw.metrics.mse, rp.metrics.mse);
  assert.ok(
    rw.metrics.recon_loss > 1.05 * rp.metrics.recon_loss,
    `${rw.metrics.recon_loss} vs ${rp.metrics.recon_loss}`,
  );
  const ck = plain.checkpoint();
  assert.equal(ck.tensors['fg/mean'], undefined);
  tf.dispose(ck.owned ?? []);
  plain.dispose();
  weighted.dispose();
});

test('vae.foregroundWeight: below 1 refused in one line naming the field; an older config without it reads as 1', () => {
  assert.throws(
    () => resolveWorldModelsConfig('small', { vae: { foregroundWeight: 0.5 } }),
    (e: Error) => /vae\.foregroundWeight/.test(e.message) && !e.message.includes('\n'),
  );
  const { foregroundWeight: _, ...oldVae } = PRESETS.default.vae;
  assert.equal(parseWorldModelsConfig({ ...PRESETS.default, vae: oldVae }).vae.foregroundWeight, 1);
  for (const p of ['default', 'debug'] as const)
    assert.equal(resolveWorldModelsConfig(p).vae.foregroundWeight, 1, `${p} keeps the paper's plain SSE`);
  assert.equal(resolveWorldModelsConfig('small').vae.foregroundWeight, 20, 'the CPU preset weights the foreground');
});
