import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import {
  RSSM_PRESETS,
  parseRssmConfig,
  rssmConfig,
  withActionDim,
  type RssmModelConfig,
} from '../../../core/models/rssm/config.ts';
import {
  createRssmModel,
  disposeRssmModel,
  observeBatch,
  trainStep,
  type SeqBatch,
} from '../../../core/models/rssm/world-model.ts';
import {
  imageOvershootingLoss,
  imageOvershootingMask,
  imageOvershootingStarts,
} from '../../../core/models/rssm/image-overshooting.ts';
import { imageNll } from '../../../core/models/rssm/losses.ts';
import { decode } from '../../../core/models/rssm/networks.ts';
import { features, imagine, stateAt } from '../../../core/models/rssm/rssm.ts';
import { estimateRssmMemory } from '../../../core/models/rssm/memory.ts';
import { estimateBytes } from '../../../core/models/memory.ts';
import { isUserError } from '../../../core/util/errors.ts';
import { Rng } from '../../../core/util/rng.ts';
import { disposeBatch, dotBatch, randomBatch } from './helpers.ts';

before(async () => {
  await initBackend();
});

const LATENTS = {
  gaussian: { kind: 'gaussian', size: 6, minStd: 0.1 },
  discrete: { kind: 'discrete', groups: 4, classes: 4, unimix: 0.01 },
} as const;

function tinyConfig(
  distance: number,
  latent: keyof typeof LATENTS = 'gaussian',
  stride = 2,
  more: { weighted?: boolean; start?: number; foregroundWeight?: number | null } = {},
): RssmModelConfig {
  return withActionDim(
    rssmConfig('debug', {
      image: { size: 16 },
      encoder: { depth: 8, kernels: [4, 4] },
      decoder: { depth: 8, kernels: [6, 6], foregroundWeight: 5 },
      rssm: { deter: 32, hidden: 32, latent: LATENTS[latent] },
      loss: { freeNats: 0, imageOvershooting: { distance, scale: distance > 0 ? 1 : 0, stride, ...more } },
      train: { lr: 3e-3 },
    }),
    1,
  );
}

test('image overshooting: start steps t + D < T every stride, and the mask drops dreams across an episode start', () => {
  assert.deepEqual(imageOvershootingStarts(32, 10, 8), [0, 8, 16]);
  assert.deepEqual(imageOvershootingStarts(12, 5, 4), [0, 4]);
  assert.deepEqual(imageOvershootingStarts(6, 5, 1), [0]);
  assert.deepEqual(imageOvershootingStarts(5, 5, 1), []);
  // Window 0 starts an episode at t = 3: from start 2 every dream crosses it; from start 0 only d ≥ 3 would.
  const isFirst = Uint8Array.from([1, 0, 0, 1, 0, 0, /* window 1 */ 1, 0, 0, 0, 0, 0]);
  // Rows d-major, then start, then window: d = 1: (s0 w0, s0 w1, s2 w0, s2 w1), then d = 2.
  assert.deepEqual(Array.from(imageOvershootingMask(isFirst, 2, 6, [0, 2], 2)), [1, 1, 0, 1, 1, 1, 0, 1]);
  assert.deepEqual(Array.from(imageOvershootingMask(isFirst, 2, 6, [0], 3)), [1, 1, 1, 1, 0, 1]);
});

/** The loss recomputed the slow way: the evaluation's dream (rssm.ts imagine, modes) from each start, one by one. */
function reference(c: RssmModelConfig, m: ReturnType<typeof createRssmModel>, batch: SeqBatch): number {
  return tf.tidy(() => {
    const { post } = observeBatch(m.params, c, batch, null);
    const [B, T] = batch.isFirst.shape;
    const { distance: D, stride } = c.loss.imageOvershooting;
    let sum = 0;
    let count = 0;
    for (let s = 0; s + D < T; s += stride) {
      const start = stateAt(post, s);
      const acts = tf.slice(batch.action, [0, s + 1], [-1, D]) as tf.Tensor3D;
      const dream = imagine(m.params, c, start, acts, null);
      for (let d = 1; d <= D; d++) {
        const recon = decode(m.params, c, features(stateAt(dream, d - 1)));
        const target = tf.squeeze(tf.slice(batch.image, [0, s + d], [-1, 1]), [1]);
        const own = c.loss.imageOvershooting.foregroundWeight;
        const image = tf.reshape(tf.slice(batch.pixelWeight!, [0, s + d], [-1, 1]), [B, 16, 16, 1]);
        // The dreams' own weight w' in place of the image term's w (5) on the same pixels: w ↦ w', 1 ↦ 1.
        const w = !c.loss.imageOvershooting.weighted
          ? undefined
          : own === null
            ? image
            : tf.add(1, tf.mul(tf.sub(image, 1), (own - 1) / (c.decoder.foregroundWeight - 1)));
        const nll = imageNll(recon, target, w).dataSync();
        for (let b = 0; b < B; b++) {
          let ok = true;
          for (let k = s + 1; k <= s + d; k++) if (batch.isFirstHost[b * T + k]) ok = false;
          if (ok) {
            sum += nll[b];
            count++;
          }
        }
      }
    }
    return sum / count;
  });
}

test("image overshooting decodes the evaluation's open-loop dream (modes) against the frames d steps on, with pixel weights and episode starts", () => {
  for (const [latent, weighted, foregroundWeight] of [
    ['gaussian', true, null],
    ['discrete', true, null],
    ['gaussian', false, null],
    ['gaussian', true, 2],
  ] as const) {
    const c = tinyConfig(3, latent, 2, { weighted, foregroundWeight });
    const m = createRssmModel(c, 4);
    const batch = dotBatch(3, 9, new Rng(2));
    batch.isFirstHost[1 * 9 + 4] = 1; // an episode start inside window 1
    batch.isFirst.dispose();
    batch.isFirst = tf.tensor2d(Float32Array.from(batch.isFirstHost), [3, 9]);
    // The image term's weights as the family makes them: decoder.foregroundWeight (5) on a foreground, 1 elsewhere.
    batch.pixelWeight = tf.tidy(() =>
      tf.add(1, tf.mul(4, tf.cast(tf.greater(tf.randomUniform([3, 9, 16, 16], 0, 1, 'float32', 7), 0.7), 'float32'))),
    );
    const got = tf.tidy(() => {
      const { post } = observeBatch(m.params, c, batch, null);
      return imageOvershootingLoss(m.params, c, post, batch).loss.dataSync()[0];
    });
    // Compared without −ln p's constant (½·HWC·ln 2π per frame), so a dream scored against the wrong frame shows.
    const k = 16 * 16 * 3 * 0.5 * Math.log(2 * Math.PI);
    const [g, w] = [got - k, reference(c, m, batch) - k];
    assert.ok(
      Math.abs(g - w) < 1e-4 * w,
      `${latent}, weighted ${weighted}, foregroundWeight ${foregroundWeight}: ½·Σw·SSE ${g} vs the dream one start at a time ${w}`,
    );
    disposeBatch(batch);
    batch.pixelWeight.dispose();
    disposeRssmModel(m);
  }
});

test('image overshooting trains the prior: gradient reaches the transition through the mode, the term enters model_loss, no leak', () => {
  for (const latent of ['gaussian', 'discrete'] as const) {
    const c = tinyConfig(3, latent);
    const m = createRssmModel(c, 4);
    const batch = randomBatch(2, 8, 16);
    const g = tf.tidy(() => {
      const { grads } = tf.variableGrads(() => {
        const { post } = observeBatch(m.params, c, batch, null);
        return imageOvershootingLoss(m.params, c, post, batch).loss;
      }, [m.params['rssm/img_dist/w'] as tf.Variable, m.params['rssm/gru_h/w'] as tf.Variable]);
      return Object.values(grads).map((x) => tf.sum(tf.abs(x)).dataSync()[0]);
    });
    assert.ok(g[0] > 0 && g[1] > 0, `${latent}: gradient into the prior head ${g[0]} and the GRU ${g[1]}`);
    let after1 = 0;
    for (let i = 0; i < 4; i++) {
      const r = trainStep(m, batch).metrics;
      assert.ok(r.image_overshooting_loss > 0, 'the term is on and logged');
      const L = c.loss;
      const sum =
        L.imageScale * r.image_loss +
        L.rewardScale * r.reward_loss +
        L.contScale * r.cont_loss +
        L.klScale * r.kl_loss +
        L.imageOvershooting.scale * r.image_overshooting_loss;
      assert.ok(Math.abs(r.model_loss - sum) < 1e-4 * sum, `model_loss ${r.model_loss} = Σ scale·term ${sum}`);
      if (i === 1) after1 = tf.memory().numTensors;
    }
    assert.equal(tf.memory().numTensors, after1, 'no tensor leak across steps');
    disposeBatch(batch);
    disposeRssmModel(m);
  }
});

/** Weight 20 on the dot's pixels, 1 on the background (the foreground-weighted loss, decoder.foregroundWeight). */
function dotWeight(b: SeqBatch): tf.Tensor {
  return tf.tidy(() => tf.add(1, tf.mul(19, tf.cast(tf.greater(tf.max(b.image, -1), 0), 'float32'))));
}

test('image overshooting switches on at update `start` (a curriculum); off before it, whatever the batch', () => {
  const c = tinyConfig(3, 'gaussian', 2, { start: 2 });
  const m = createRssmModel(c, 4);
  const batch = randomBatch(2, 8, 16);
  const got = [0, 1, 2, 3].map(() => trainStep(m, batch).metrics.image_overshooting_loss);
  assert.equal(got[0], 0);
  assert.equal(got[1], 0);
  assert.ok(got[2] > 0 && got[3] > 0, `on from update 2: ${got}`);
  disposeBatch(batch);
  disposeRssmModel(m);
});

test(
  'switching image overshooting on lowers the open-loop image error 3–5 steps out after equal training, weighted or plain',
  { timeout: 240_000 },
  () => {
    for (const weighted of [true, false]) {
      const steps = 100;
      const evalBatch = dotBatch(16, 12, new Rng(999));
      evalBatch.pixelWeight = dotWeight(evalBatch);
      // Scored as trained: the weighted term by the weighted error, the plain one by the plain error.
      const measure = tinyConfig(5, 'gaussian', 1, { weighted });
      const results: Record<string, number[]> = {};
      for (const [name, distance] of [
        ['off', 0],
        ['on', 5],
      ] as const) {
        const c = tinyConfig(distance, 'gaussian', 2, { weighted });
        const m = createRssmModel(c, 7);
        const rng = new Rng(3);
        for (let i = 0; i < steps; i++) {
          const b = dotBatch(8, 12, rng);
          b.pixelWeight = dotWeight(b);
          assert.equal(trainStep(m, b).skipped, false);
          disposeBatch(b);
          b.pixelWeight.dispose();
        }
        const perD = tf.tidy(() => {
          const { post } = observeBatch(m.params, measure, evalBatch, null);
          return tf.stack(imageOvershootingLoss(m.params, measure, post, evalBatch).nllPerDistance);
        });
        // −ln p minus its constant: ½ · (weighted) summed squared error of the dream per frame.
        results[name] = Array.from(perD.dataSync()).map((x) => x - 16 * 16 * 3 * 0.5 * Math.log(2 * Math.PI));
        perD.dispose();
        disposeRssmModel(m);
      }
      evalBatch.pixelWeight.dispose();
      disposeBatch(evalBatch);
      console.log(`weighted ${weighted}: open-loop ½·SSE by distance d=1..5:`, JSON.stringify(results));
      const far = (xs: number[]) => xs[2] + xs[3] + xs[4];
      assert.ok(
        far(results.on) < 0.9 * far(results.off),
        `weighted ${weighted}: 3–5-step dream error with image overshooting ${far(results.on)} should be under 0.9× without ${far(results.off)}`,
      );
    }
  },
);

test('loss.imageOvershooting: off in every preset and in old configs; refused past the window, without a decoder, or with a foregroundWeight it cannot apply; counted in memory', () => {
  for (const p of Object.keys(RSSM_PRESETS)) {
    assert.equal(rssmConfig(p).loss.imageOvershooting.distance, 0, p);
  }
  const { imageOvershooting: _io, ...oldLoss } = rssmConfig('debug').loss;
  assert.deepEqual(parseRssmConfig({ ...rssmConfig('debug'), loss: oldLoss }).loss.imageOvershooting, {
    distance: 0,
    scale: 0,
    stride: 8,
    start: 0,
    weighted: false,
    foregroundWeight: null,
  });
  for (const [o, re] of [
    [
      { loss: { imageOvershooting: { distance: 8, scale: 1 } }, train: { length: 8 } },
      /loss\.imageOvershooting\.distance: must be < train\.length \(8\)/,
    ],
    [
      { objective: 'contrastive', loss: { imageOvershooting: { distance: 2, scale: 1 } } },
      /loss\.imageOvershooting: decodes pixels, which objective 'contrastive'/,
    ],
    [{ loss: { imageOvershooting: { distance: 2, scale: 1, stride: 0 } } }, /loss\.imageOvershooting\.stride/],
    [{ loss: { imageOvershooting: { distance: 2, scale: 1, every: 3 } } }, /loss\.imageOvershooting/],
    [
      { loss: { imageOvershooting: { distance: 2, scale: 1, foregroundWeight: 5 } } },
      /loss\.imageOvershooting\.foregroundWeight: needs weighted true.*but weighted is false; use null/,
    ],
    [
      {
        decoder: { foregroundWeight: 1 },
        loss: { imageOvershooting: { distance: 2, scale: 1, weighted: true, foregroundWeight: 5 } },
      },
      /foregroundWeight: needs .* but decoder\.foregroundWeight is 1/,
    ],
    [
      {
        decoder: { foregroundWeight: 20, foregroundMask: 'either' },
        loss: { imageOvershooting: { distance: 2, scale: 1, weighted: true, foregroundWeight: 5 } },
      },
      /foregroundWeight: needs .* but decoder\.foregroundMask is 'either'/,
    ],
    [
      { loss: { imageOvershooting: { distance: 2, scale: 1, weighted: true, foregroundWeight: 0.5 } } },
      /loss\.imageOvershooting\.foregroundWeight/,
    ],
  ] as const) {
    assert.throws(
      () => rssmConfig('debug', o as never),
      (e: unknown) => isUserError(e) && re.test((e as Error).message) && !(e as Error).message.includes('\n'),
      String(re),
    );
  }
  const bytes = (o: object) => estimateBytes(estimateRssmMemory(rssmConfig('small', o)));
  assert.ok(bytes({ loss: { imageOvershooting: { distance: 10, scale: 1 } } }) > bytes({}) * 1.3);
  assert.equal(
    bytes({ loss: { imageOvershooting: { distance: 10, scale: 0 } } }),
    bytes({}),
    'scale 0 computes nothing',
  );
});
