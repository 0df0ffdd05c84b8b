import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { objectGraphFamily } from '../../../core/models/object-graph/family.ts';
import { ObjectGraphModel } from '../../../core/models/object-graph/model.ts';
import { ObjectGraphLatentModel } from '../../../core/models/object-graph/latent-model.ts';
import { estimateObjectGraphMemory, objectGraphParamCount } from '../../../core/models/object-graph/memory.ts';
import { estimateBytes } from '../../../core/models/memory.ts';
import { resolveObjectGraphConfigFor } from './helpers.ts';
import { extractorChannels } from '../../../core/models/object-graph/config.ts';
import { Rng } from '../../../core/util/rng.ts';
import { Adam } from '../../../core/models/nn.ts';
import { objectGraphTrainStep } from '../../../core/models/object-graph/train-step.ts';

before(async () => {
  await initBackend();
});

const refusal = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return '';
};

test('config: the extractor size, hiddenDim and action split are refused in one line naming the field', () => {
  assert.match(
    refusal(() => resolveObjectGraphConfigFor({ model: { imageSize: 64 } })),
    /model\.imageSize: the small extractor needs a frame size divisible by 10, got 64/,
  );
  assert.match(
    refusal(() => resolveObjectGraphConfigFor({ model: { hiddenDim: 40 } })),
    /model\.hiddenDim: expected a multiple of 16/,
  );
  assert.ok(resolveObjectGraphConfigFor({ model: { imageSize: 64, encoder: 'large' } }));
  const c = resolveObjectGraphConfigFor({ model: { numObjects: 3 } });
  const m = refusal(() => new ObjectGraphModel(c, { kind: 'discrete', n: 20 }, 0));
  assert.match(
    m,
    /actionMode 'per-object' needs a discrete action space of numObjects \(3\) × actions per object, got 20/,
  );
  assert.ok(!m.includes('\n'));
  assert.match(
    refusal(
      () => new ObjectGraphModel(resolveObjectGraphConfigFor({}), { kind: 'box', shape: [5], low: [], high: [] }, 0),
    ),
    /got a continuous box: use actionMode 'copy'/,
  );
});

test("extractor width: the reference ties it to hiddenDim / 16; the small preset keeps the paper's 32 at hidden 64", () => {
  // hidden 64 / 16 = 4 channels bound the slots to their objects only partly, so the per-object action mostly
  // missed the slot that changed and the transition added little over copy-state (scripts/eval-cswm.ts header).
  assert.equal(extractorChannels(resolveObjectGraphConfigFor({ model: { hiddenDim: 64 } })), 4);
  assert.equal(extractorChannels(objectGraphFamily.resolveConfig('cswm-shapes')), 32);
  const small = objectGraphFamily.resolveConfig('small');
  assert.equal(small.model.hiddenDim, 64);
  assert.equal(extractorChannels(small), 32);
  const m = new ObjectGraphModel(small, { kind: 'discrete', n: 20 }, 0);
  assert.deepEqual(m.og.params['ext/conv1/w'].shape, [10, 10, 3, 32]);
  assert.deepEqual(m.og.params['ext/conv2/w'].shape, [1, 1, 32, 5]);
  assert.deepEqual(m.og.params['enc/fc1/w'].shape, [25, 64]);
  m.dispose();
  // Given explicitly, hiddenDim need not be a multiple of 16; a width out of range is refused naming the field.
  assert.equal(extractorChannels(resolveObjectGraphConfigFor({ model: { hiddenDim: 40, extractorChannels: 8 } })), 8);
  assert.match(
    refusal(() => resolveObjectGraphConfigFor({ model: { extractorChannels: 0 } })),
    /model\.extractorChannels/,
  );
});

test('the memory estimate counts exactly the parameters the model creates, for every extractor and action mode', () => {
  for (const model of [
    { encoder: 'small' },
    { encoder: 'medium', actionMode: 'copy' },
    { encoder: 'large', imageSize: 20, actionMode: 'ignore' },
  ]) {
    const c = resolveObjectGraphConfigFor({ model });
    const m = new ObjectGraphModel(c, { kind: 'discrete', n: 20 }, 0);
    const n = Object.values(m.og.params).reduce((s, v) => s + v.size, 0);
    assert.equal(objectGraphParamCount(c, 20), n, JSON.stringify(model));
    m.dispose();
  }
  const small = estimateBytes(estimateObjectGraphMemory(resolveObjectGraphConfigFor({})));
  const big = estimateBytes(estimateObjectGraphMemory(resolveObjectGraphConfigFor({ train: { batch: 1024 } })));
  assert.ok(big > small, 'grows with the batch');
  assert.equal(objectGraphFamily.estimateMemory(objectGraphFamily.resolveConfig('debug')).phase, 'model');
});

test('medium and large extractors give one mask per slot at /5 and full resolution, and train a step', async () => {
  for (const [model, side] of [
    [{ encoder: 'medium' }, 10],
    [{ encoder: 'large', imageSize: 20 }, 20],
  ] as const) {
    const c = resolveObjectGraphConfigFor({ model });
    const m = new ObjectGraphModel(c, { kind: 'discrete', n: 20 }, 0);
    const S = c.model.imageSize;
    const frames = Uint8Array.from({ length: 2 * S * S * 3 }, (_, i) => (i * 7) % 256);
    const masks = m.masks(frames, 2);
    assert.deepEqual(masks.shape, [2, 5, side * side]);
    const z = m.encode(frames, 2);
    assert.deepEqual(z.shape, [2, 5, 2]);
    tf.dispose([masks, z]);
    const opt = new Adam(m.og.params, { lr: 1e-3 });
    const action = new Float32Array(2 * 20);
    action[3] = action[20 + 9] = 1;
    const r = objectGraphTrainStep(
      m,
      opt,
      { n: 2, size: S, obs: frames, next: frames.slice().reverse(), action, actionDim: 20 },
      new Rng(0),
    );
    assert.ok(r.applied && Number.isFinite(r.loss), `a training step is applied (${r.reason ?? ''})`);
    opt.dispose();
    m.dispose();
  }
});

test('the latent view: observe encodes the frame, imagine chains z + Δz under the policy, no leaks', () => {
  const c = resolveObjectGraphConfigFor({});
  const m = new ObjectGraphModel(c, { kind: 'discrete', n: 20 }, 1);
  const wm = new ObjectGraphLatentModel(m);
  const rng = new Rng(2);
  const frames = Uint8Array.from({ length: 2 * 50 * 50 * 3 }, () => (rng.next() < 0.1 ? 200 : 0));
  const zero = tf.zeros([2, 20]) as tf.Tensor2D;
  const a = tf.cast(tf.oneHot(tf.tensor1d([3, 17], 'int32'), 20), 'float32') as tf.Tensor2D;
  const z = m.encode(frames, 2);
  const expected = tf.tidy(() => tf.reshape(m.next(m.next(z, a), a), [2, 10]));
  const goal = tf.tidy(() => tf.reshape(tf.slice(z, [1, 0, 0], [1, 5, 2]), [1, 10]) as tf.Tensor2D);
  const before = tf.memory().numTensors;
  const s = wm.observe({}, zero, frames, null);
  assert.deepEqual(Array.from(s.z.dataSync()), Array.from(z.dataSync()));
  const im = tf.tidy(() => {
    const r = wm.imagine(s, () => a, 2, null);
    return { features: r.features, actions: r.actions, last: r.last };
  });
  assert.deepEqual(im.features.shape, [3, 2, 10]);
  const last = tf.tidy(() => tf.reshape(tf.slice(im.features, [2, 0, 0], [1, 2, 10]), [2, 10]));
  const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(last, expected))).dataSync()[0]);
  assert.ok(diff < 1e-6, `imagined state = z + Δz twice (max diff ${diff})`);
  const g = tf.tidy(() => wm.goalCost(wm.features(s), goal));
  assert.equal(g.dataSync()[1], 0, 'energy to its own encoding is 0');
  tf.dispose([im.features, im.actions, last, g]);
  wm.disposeState(s);
  wm.disposeState(im.last);
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([zero, z, a, expected, goal]);
  m.dispose();
});
