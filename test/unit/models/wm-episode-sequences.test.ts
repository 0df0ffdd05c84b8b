// The controller reads h and dreams roll h forward from an episode's first frame for the whole episode, so the
// `small` MDN-RNN trains on whole episodes from frame 0 (WMx rnn_train.py: sequences of the whole episode) at
// eval:world-models' episode length. 32-step windows from random offsets, each starting from h = 0, never show the
// LSTM what h looks like k steps after the start: on CarRacing their reward head predicted 0.17–0.40 on tile rows
// (true ≈ 3.3) and nothing for the start's tiles; whole episodes 1.07, and the start's reward.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { Rng } from '../../../core/util/rng.ts';
import { Adam, disposeParams } from '../../../core/models/nn.ts';
import { PRESETS, type RnnConfig } from '../../../core/models/world-models/config.ts';
import { firstRnnStep } from './wm-session.ts';
import { sampleSequences, type WmEpisode } from '../../../core/models/world-models/data.ts';
import { disposeBatch, initMdnRnn, mdnTrainStep, sequenceBatch } from '../../../core/models/world-models/mdn-rnn.ts';
import { MdnCell } from '../../../core/models/world-models/dream-kernel.ts';
import { exportMdnWeights } from '../../../core/models/world-models/controller.ts';
import { normalNoise } from '../../../core/models/world-models/vae.ts';

before(async () => {
  await initBackend();
});

const A = 1;
/** Encoded episode of T frames: μ_t = noise (no information), log σ² −20 (z = μ), reward 1 on rows `hot`. */
function episode(T: number, Z: number, rng: Rng, hot: (t: number) => boolean): WmEpisode {
  const mu = Float32Array.from({ length: T * Z }, () => rng.normal());
  return {
    frames: new Uint8Array(0),
    T,
    action: Float32Array.from({ length: T * A }, (_, i) => (i < A ? 0 : rng.uniform(-1, 1))),
    reward: Float32Array.from({ length: T }, (_, t) => (t > 0 && hot(t) ? 1 : 0)),
    terminal: new Uint8Array(T),
    mu,
    logvar: new Float32Array(T * Z).fill(-20),
  };
}

test("small's MDN-RNN sequences are whole eval episodes from frame 0, reward and action aligned", () => {
  // eval:world-models collects 300-step episodes (301 frames with the reset frame) by default.
  const T = PRESETS.small.rnn.seqLen;
  assert.ok(T >= 300, `small.rnn.seqLen ${T} is shorter than eval:world-models' 300-step episodes`);
  const Z = 2;
  const rng = new Rng(3);
  const eps = [episode(301, Z, rng, (t) => t % 7 === 0), episode(301, Z, rng, (t) => t % 5 === 0)];
  const s = sampleSequences(eps, Z, A, 4, T, new Rng(9));
  for (let b = 0; b < 4; b++) {
    const e = eps.find((ep) => ep.mu![0] === s.mu[b * (T + 1) * Z])!;
    assert.ok(e, `window ${b} does not start at an episode's first frame`);
    for (let t = 0; t < 300; t++) {
      assert.equal(s.mask[b * T + t], 1);
      // Transition t: z_t with the action taken there (row t+1) → z_{t+1}, the reward of arriving (row t+1).
      assert.equal(s.reward[b * T + t], e.reward[t + 1]);
      assert.equal(s.action[b * T + t], e.action[t + 1]);
      assert.equal(s.mu[(b * (T + 1) + t + 1) * Z], e.mu![(t + 1) * Z]);
    }
  }
});

/** Trains a tiny MDN-RNN on `seqLen` windows; returns the mean squared reward error of rows 1–3 of held-out
 * episodes, teacher-forced from frame 0 with h = 0 as the dream and the controller run it. */
function startRewardError(seqLen: number): number {
  const Z = 2;
  const hot = (t: number) => t <= 3;
  const rng = new Rng(1);
  const train = Array.from({ length: 16 }, () => episode(33, Z, rng, hot));
  const held = Array.from({ length: 8 }, () => episode(33, Z, rng, hot));
  const cfg: RnnConfig = { ...PRESETS.debug.rnn, hidden: 8, mixtures: 1, seqLen, batch: 8, lr: 1e-2, doneHead: false };
  const p = initMdnRnn(cfg, { zDim: Z, actionDim: A }, new Rng(2));
  const opt = new Adam(p, { lr: cfg.lr, clipValue: 1 });
  const r = new Rng(4);
  const before = tf.memory().numTensors;
  for (let s = 0; s < 150; s++) {
    const b = sequenceBatch(sampleSequences(train, Z, A, cfg.batch, seqLen, r), cfg.batch, seqLen, Z, A);
    const eps = normalNoise(r, [cfg.batch, seqLen + 1, Z]);
    mdnTrainStep(p, cfg, opt, b, eps);
    disposeBatch(b);
    eps.dispose();
  }
  assert.equal(tf.memory().numTensors, before, 'training leaked tensors');
  const w = exportMdnWeights(p, cfg, Z, A);
  let err = 0;
  let n = 0;
  for (const e of held) {
    const cell = new MdnCell(w);
    for (let t = 0; t < 3; t++) {
      cell.step(e.mu!.subarray(t * Z, (t + 1) * Z), e.action.subarray((t + 1) * A, (t + 2) * A));
      err += (cell.reward() - e.reward[t + 1]) ** 2;
      n++;
    }
  }
  opt.dispose();
  disposeParams(p);
  return err / n;
}

test('a reward that depends on the time since the start is learnt from whole episodes, not from short windows', () => {
  const whole = startRewardError(32);
  const windows = startRewardError(4);
  assert.ok(whole < 0.25, `whole episodes: start-row reward error ${whole.toFixed(3)}, expected < 0.25`);
  assert.ok(windows > 0.6, `4-step windows: start-row reward error ${windows.toFixed(3)}, expected > 0.6`);
});

test("M's training window stops at the longest training episode: seqLen 300 on 21-frame episodes trains what 20 does, no padding", async () => {
  // cartpoleTrainData's 21-frame episodes: 20 transitions each.
  const rnnStep = (seqLen: number) => firstRnnStep({ seqLen, batch: 4 });
  const [long, whole, short] = [await rnnStep(300), await rnnStep(20), await rnnStep(10)];
  assert.equal(long.items, 4 * 20, 'seqLen 300: 4 windows of the 20 transitions the episodes hold');
  assert.equal(long.metrics.loss, whole.metrics.loss, 'seqLen 300 and 20: the same batch, the same loss');
  assert.equal(short.items, 4 * 10, 'a window shorter than the episodes is kept');
  assert.notEqual(short.metrics.loss, whole.metrics.loss);
});
