// Gradient accumulation over micro-batches (Adam.stepAccumulated, issue 17): for a loss that is a mean over
// samples, the update from parts weighted by their share of the batch equals the full-batch update.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { Rng } from '../../../core/util/rng.ts';
import { Adam, disposeParams, type Params } from '../../../core/models/nn.ts';
import { PRESETS } from '../../../core/models/world-models/config.ts';
import { initMdnRnn, mdnLoss, sequenceBatch, type SequenceBatch } from '../../../core/models/world-models/mdn-rnn.ts';
import { relErr } from '../tensor/parity.ts';

const cfg = { ...PRESETS.debug.rnn, hidden: 12, mixtures: 3, rewardHead: true };
const [B, T, Z, A] = [4, 6, 5, 2];

function batchOf(rng: Rng): SequenceBatch {
  const r = (n: number, f: () => number) => Float32Array.from({ length: n }, f);
  return sequenceBatch(
    {
      mu: r(B * (T + 1) * Z, () => rng.normal()),
      logvar: r(B * (T + 1) * Z, () => -1 + 0.2 * rng.normal()),
      action: r(B * T * A, () => rng.uniform(-1, 1)),
      reward: r(B * T, () => rng.normal()),
      done: r(B * T, () => 0),
      mask: r(B * T, () => 1),
    },
    B,
    T,
    Z,
    A,
  );
}

/** Rows [from, from + n) of every tensor of the batch (and of the noise). */
function rows(b: SequenceBatch, from: number, n: number): SequenceBatch {
  const cut = <X extends tf.Tensor>(x: X) => tf.slice(x, [from], [n]) as X;
  return {
    mu: cut(b.mu),
    logvar: cut(b.logvar),
    action: cut(b.action),
    reward: cut(b.reward),
    done: cut(b.done),
    mask: cut(b.mask),
  };
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`an update accumulated over micro-batches of 3 + 1 equals the full-batch update on ${backend}`, async () => {
    await initBackend(backend);
    const before = tf.memory().numTensors;
    const make = () => initMdnRnn(cfg, { zDim: Z, actionDim: A }, new Rng(7));
    const pFull: Params = make();
    const pMicro: Params = make();
    const batch = batchOf(new Rng(3));
    const eps = tf.randomNormal([B, T + 1, Z], 0, 1, 'float32', 5);
    const optFull = new Adam(pFull, { lr: 1e-2, clipValue: 1 });
    const optMicro = new Adam(pMicro, { lr: 1e-2, clipValue: 1 });
    const full = optFull.step(() => mdnLoss(pFull, cfg, batch, eps));
    const parts = [
      [0, 3],
      [3, 1],
    ].map(([from, n]) => ({
      weight: n / B,
      loss: () => mdnLoss(pMicro, cfg, rows(batch, from, n), tf.slice(eps, [from], [n])),
    }));
    const micro = optMicro.stepAccumulated(parts);
    assert.ok(full.applied && micro.applied);
    assert.ok(Math.abs(full.loss - micro.loss) < 1e-5 * Math.abs(full.loss), `loss ${micro.loss} vs ${full.loss}`);
    assert.ok(
      Math.abs(full.gradNorm - micro.gradNorm) < 1e-4 * full.gradNorm,
      `grad norm ${micro.gradNorm} vs ${full.gradNorm}`,
    );
    assert.ok(Math.abs(full.metrics.reward_loss - micro.metrics.reward_loss) < 1e-5);
    for (const k of Object.keys(pFull)) {
      // Adam's first step is ~lr·sign(g) whatever the scale of g: the gradient norm above checks the weighting.
      const e = relErr(pMicro[k].dataSync(), pFull[k].dataSync());
      assert.ok(e < 1e-5, `${k}: weights differ after the step (relative ${e.toExponential(2)})`);
    }
    const init = make();
    for (const k of Object.keys(pFull)) {
      const dFull = tf.sub(pFull[k], init[k]);
      const dMicro = tf.sub(pMicro[k], init[k]);
      const e = relErr(dMicro.dataSync(), dFull.dataSync());
      assert.ok(e < 1e-3, `${k}: update differs (relative ${e.toExponential(2)})`);
      tf.dispose([dFull, dMicro]);
    }
    [pFull, pMicro, init].forEach(disposeParams);
    optFull.dispose();
    optMicro.dispose();
    tf.dispose([...Object.values(batch), eps]);
    assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  });
}
