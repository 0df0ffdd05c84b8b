import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { Rng } from '../../../core/util/rng.ts';
import { disposeParams } from '../../../core/models/nn.ts';
import { PRESETS } from '../../../core/models/world-models/config.ts';
import { exportMdnWeights } from '../../../core/models/world-models/controller.ts';
import { WorldModelDreamer } from '../../../core/models/world-models/dream.ts';
import { initMdnRnn } from '../../../core/models/world-models/mdn-rnn.ts';
import { decode, decodeFolded, foldDecoderInput, initVae } from '../../../core/models/world-models/vae.ts';
import { relErr } from '../tensor/parity.ts';

// The step-by-step dream decodes through the VAE decoder with its dense input folded into the first
// deconvolution (vae.ts foldDecoderInput): the frames must be the unfolded decoder's, on both backends.

const cfg = PRESETS.default.vae;
const box3 = { kind: 'box' as const, shape: [3], low: [-1, 0, 0], high: [1, 1, 1] };

/** Non-zero biases (init gives zeros), so the folded bias b_in·F + b_0 is exercised. */
function randomBiases(p: Record<string, tf.Variable>, rng: Rng): void {
  for (const [name, v] of Object.entries(p)) {
    if (name.endsWith('/b'))
      v.assign(
        tf.tensor(
          Float32Array.from({ length: v.size }, () => rng.normal() * 0.1),
          v.shape,
        ),
      );
  }
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`${backend}: the folded decoder gives the unfolded decoder's means at batch 1 and 3`, async () => {
    await initBackend(backend);
    const rng = new Rng(7);
    const vae = initVae(cfg, rng);
    randomBiases(vae, rng);
    const folded = foldDecoderInput(vae, cfg);
    for (const n of [1, 3]) {
      const z = tf.randomNormal([n, cfg.zDim], 0, 1, 'float32', n) as tf.Tensor2D;
      const want = decode(vae, cfg, z);
      const got = decodeFolded(vae, cfg, folded, z);
      assert.deepEqual(got.shape, want.shape);
      const err = relErr(got.dataSync(), want.dataSync());
      assert.ok(err < 1e-5, `batch ${n}: relative error ${err}`);
      tf.dispose([z, want, got]);
    }
    tf.dispose([folded.w, folded.b]);
    disposeParams(vae);
  });
}

test('a dream session decodes like decodeLatents, refolds after the weights are reassigned, and frees what it folded', async () => {
  await initBackend('wasm');
  const rng = new Rng(3);
  const vae = initVae(cfg, rng);
  randomBiases(vae, rng);
  const rnnCfg = PRESETS.default.rnn;
  const rnn = initMdnRnn(rnnCfg, { zDim: cfg.zDim, actionDim: 3 }, rng);
  const weights = exportMdnWeights(rnn, rnnCfg, cfg.zDim, 3);
  disposeParams(rnn);
  const dreamer = new WorldModelDreamer(vae, cfg, weights, box3);
  const S = cfg.imageSize;
  const frame = Uint8Array.from({ length: S * S * 3 }, () => rng.int(256));
  const before = tf.memory().numTensors;
  // Same seed, same actions: the session's frames against decodeLatents of the same z (mode: temperature 0).
  const session = dreamer.session({ temperature: 0, seed: 1 });
  const mirror = dreamer.session({ temperature: 0, seed: 1 });
  const z0 = dreamer.encodeFrames(frame, 1);
  const maxDiff = (a: Uint8Array, b: Uint8Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
  assert.ok(maxDiff(session.reset(frame), dreamer.decodeLatents(z0, 1)) <= 1, 'reset frame');
  mirror.reset(frame);
  const action = [0.3, 0.5, 0];
  for (let t = 0; t < 3; t++) {
    if (t === 2) {
      // New weights under the same names (as a reloaded checkpoint): the session must refold.
      const w = vae['vae/dec0/w'];
      const fresh = tf.randomNormal(w.shape, 0, 0.5, 'float32', 9);
      w.assign(fresh);
      fresh.dispose();
    }
    const got = session.step(action).frame;
    // The unfolded reference: step the mirror's cell the same way, decode its z without folding.
    const inner = mirror as unknown as { z: Float32Array };
    const m = mirror.step(action);
    const want = dreamer.decodeLatents(inner.z, 1);
    assert.ok(maxDiff(got, want) <= 1, `step ${t}: frames differ by ${maxDiff(got, want)} levels`);
    assert.ok(maxDiff(m.frame, want) <= 1, `step ${t}: mirror`);
  }
  session.dispose();
  mirror.dispose();
  assert.equal(tf.memory().numTensors, before, 'the sessions freed their folded weights');
  disposeParams(vae);
});
