// The controller is trained in the plain-JS MDN-RNN of dream-kernel.ts, the model is trained in the tfjs one
// of mdn-rnn.ts: the two must be the same function of the same weights, or CMA-ES optimises a different dream
// from the one the RNN learned. Every check here runs both on one set of weights and compares.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { Rng } from '../../../core/util/rng.ts';
import { disposeParams, type Params } from '../../../core/models/nn.ts';
import { PRESETS, type RnnConfig } from '../../../core/models/world-models/config.ts';
import {
  initMdnRnn,
  lstmSequence,
  mdnHead,
  mixtureNll,
  type LstmState,
} from '../../../core/models/world-models/mdn-rnn.ts';
import { MdnCell } from '../../../core/models/world-models/dream-kernel.ts';
import { exportMdnWeights } from '../../../core/models/world-models/controller.ts';

before(async () => {
  await initBackend();
});

const Z = 5;
const A = 3;
const T = 12;
const cfg: RnnConfig = { ...PRESETS.debug.rnn, hidden: 16, mixtures: 4, rewardHead: true, doneHead: true };

/** Float32 matmul order differs between the two (XNNPACK/wasm vs a JS loop); 1e-4 is far below any real bug. */
function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string, tol = 1e-4): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++)
    assert.ok(
      Math.abs(got[i] - want[i]) <= tol * Math.max(1, Math.abs(want[i])),
      `${what}[${i}]: kernel ${got[i]} vs tfjs ${want[i]}`,
    );
}

/** MDN-RNN weights with every entry random (biases and all four gates included, so a swapped gate shows). */
function randomRnn(seed: number): Params {
  const p = initMdnRnn(cfg, { zDim: Z, actionDim: A }, new Rng(seed));
  const rng = new Rng(seed + 1);
  for (const v of Object.values(p)) {
    const data = Float32Array.from({ length: v.size }, () => rng.normal() * 0.5);
    (v as tf.Variable).assign(tf.tensor(data, v.shape));
  }
  return p;
}

function randomInputs(seed: number): { z: Float32Array[]; a: Float32Array[] } {
  const rng = new Rng(seed);
  const z = Array.from({ length: T + 1 }, () => Float32Array.from({ length: Z }, () => rng.normal()));
  const a = Array.from({ length: T }, () => Float32Array.from({ length: A }, () => rng.uniform(-1, 1)));
  return { z, a };
}

/** tfjs over the whole sequence: hidden states, cell state, head outputs per step and the NLL of z_{t+1}. */
function tfjsSequence(p: Params, z: Float32Array[], a: Float32Array[]) {
  return tf.tidy(() => {
    const x = tf.tensor3d(
      z.slice(0, T).flatMap((zt, t) => [...zt, ...a[t]]),
      [1, T, Z + A],
    );
    const { hs, last } = lstmSequence(p, x);
    const h2 = tf.reshape(hs, [T, cfg.hidden]) as tf.Tensor2D;
    const o = mdnHead(p, cfg, Z, h2);
    const target = tf.tensor2d(
      z.slice(1).flatMap((zt) => [...zt]),
      [T, Z],
    );
    return {
      hs: h2.arraySync(),
      c: Array.from(last.c.dataSync()),
      logpi: o.logpi.arraySync(),
      mu: o.mu.arraySync(),
      logsigma: o.logsigma.arraySync(),
      reward: Array.from(o.reward!.dataSync()),
      doneProb: Array.from(tf.sigmoid(o.done!).dataSync()),
      nll: Array.from(tf.mean(mixtureNll(o, target), 1).dataSync()),
    };
  });
}

test('LSTM: the kernel step gives the same hidden state h_t at every step and the same final cell state as lstmSequence', () => {
  const p = randomRnn(1);
  const { z, a } = randomInputs(2);
  const ref = tfjsSequence(p, z, a);
  const cell = new MdnCell(exportMdnWeights(p, cfg, Z, A));
  for (let t = 0; t < T; t++) {
    cell.step(z[t], a[t]);
    assertClose(cell.h, ref.hs[t], `h at step ${t}`);
  }
  assertClose(cell.c, ref.c, 'final c');
  disposeParams(p);
});

test('LSTM: a state carried between calls (the interactive dream) equals one sequence call', () => {
  const p = randomRnn(3);
  const { z, a } = randomInputs(4);
  const ref = tfjsSequence(p, z, a);
  // tfjs one step at a time through `state`, the way a caller resumes; the kernel is compared with it too.
  let state: LstmState | undefined;
  const cell = new MdnCell(exportMdnWeights(p, cfg, Z, A));
  for (let t = 0; t < T; t++) {
    const x = tf.tensor3d([...z[t], ...a[t]], [1, 1, Z + A]);
    const { hs, last } = lstmSequence(p, x, state);
    if (state) tf.dispose([state.h, state.c]);
    state = { h: tf.keep(last.h), c: tf.keep(last.c) };
    assertClose(hs.dataSync(), ref.hs[t], `tfjs stepwise h at step ${t}`);
    tf.dispose([x, hs]);
    cell.step(z[t], a[t]);
    assertClose(cell.h, state.h.dataSync(), `kernel h vs tfjs stepwise at step ${t}`);
    assertClose(cell.c, state.c.dataSync(), `kernel c vs tfjs stepwise at step ${t}`);
  }
  tf.dispose([state!.h, state!.c]);
  disposeParams(p);
});

test('mixture head: same log π (after normalisation), μ, log σ, reward and done probability at every step', () => {
  const p = randomRnn(5);
  const { z, a } = randomInputs(6);
  const ref = tfjsSequence(p, z, a);
  const K = cfg.mixtures;
  const cell = new MdnCell(exportMdnWeights(p, cfg, Z, A));
  for (let t = 0; t < T; t++) {
    cell.step(z[t], a[t]);
    const o = cell.out;
    for (let d = 0; d < Z; d++) {
      const logits = Array.from(o.subarray(d * K, d * K + K));
      const m = Math.max(...logits);
      const lse = m + Math.log(logits.reduce((s, l) => s + Math.exp(l - m), 0));
      assertClose(
        logits.map((l) => l - lse),
        ref.logpi[t][d],
        `log π step ${t} dim ${d}`,
      );
      assertClose(o.subarray(Z * K + d * K, Z * K + d * K + K), ref.mu[t][d], `μ step ${t} dim ${d}`);
      assertClose(o.subarray(2 * Z * K + d * K, 2 * Z * K + d * K + K), ref.logsigma[t][d], `log σ step ${t} dim ${d}`);
    }
    assertClose([cell.reward()], [ref.reward[t]], `reward step ${t}`);
    assertClose([cell.doneProb()], [ref.doneProb[t]], `done probability step ${t}`);
    assertClose([cell.nll(z[t + 1])], [ref.nll[t]], `NLL of z_{t+1} step ${t}`);
  }
  disposeParams(p);
});

/**
 * The sampler the dream uses, written out from tfjs's mixture parameters: per dimension a component from
 * softmax(log π / τ) by inverse CDF on one uniform, then μ_k + σ_k·√τ·ε (WMx rnn.py `sample_sequence`);
 * τ = 0 is the mixture mean Σ_k π_k μ_k.
 */
function sampleFromTfjs(
  logpi: number[][],
  mu: number[][],
  logsigma: number[][],
  tau: number,
  rng: Rng | null,
): number[] {
  return logpi.map((lp, d) => {
    if (tau <= 0 || !rng) return lp.reduce((s, l, k) => s + Math.exp(l) * mu[d][k], 0);
    const w = lp.map((l) => Math.exp(l / tau));
    const total = w.reduce((s, x) => s + x, 0);
    const u = rng.next();
    let k = 0;
    for (let acc = w[0] / total; k < w.length - 1 && u >= acc;) acc += w[++k] / total;
    return mu[d][k] + Math.exp(logsigma[d][k]) * Math.sqrt(tau) * rng.normal();
  });
}

test('next z: the same sample under the same RNG seed and temperature (τ 0, 0.5, 1, 1.15) at every step', () => {
  const p = randomRnn(7);
  const { z, a } = randomInputs(8);
  const ref = tfjsSequence(p, z, a);
  for (const tau of [0, 0.5, 1, 1.15]) {
    const cell = new MdnCell(exportMdnWeights(p, cfg, Z, A));
    const rngKernel = new Rng(99);
    const rngRef = new Rng(99);
    for (let t = 0; t < T; t++) {
      cell.step(z[t], a[t]);
      const got = cell.nextZ(tau, rngKernel, new Float32Array(Z));
      const want = sampleFromTfjs(ref.logpi[t], ref.mu[t], ref.logsigma[t], tau, rngRef);
      assertClose(got, want, `next z at τ ${tau}, step ${t}`, 1e-3);
    }
  }
  disposeParams(p);
});

test('the comparison frees what it allocates', () => {
  const p = randomRnn(9);
  const { z, a } = randomInputs(10);
  tfjsSequence(p, z, a);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) tfjsSequence(p, z, a);
  assert.equal(tf.memory().numTensors, before);
  disposeParams(p);
});
