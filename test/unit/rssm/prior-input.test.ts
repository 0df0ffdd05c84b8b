import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { parseRssmConfig, rssmConfig, withActionDim } from '../../../core/models/rssm/config.ts';
import { initRssmParams } from '../../../core/models/rssm/world-model.ts';
import { imgStep } from '../../../core/models/rssm/rssm.ts';
import { assignParams, namedParams } from '../../../core/models/nn.ts';
import { isUserError } from '../../../core/util/errors.ts';

// Issue 11 item 2: the prior's input layer (config rssm.priorInput). 'joint' is the one dense on [s, a] every
// preset keeps; 'separate' embeds s and a each through dense → layer norm → act (DreamerV3 rssm.py RSSM._core);
// 'separate-raw-action' leaves the norm off the action's branch.

/** Session 12's cartpole RSSM (small + 16×16 categorical), as its run config.json holds it. */
const S12 = { rssm: { latent: { kind: 'discrete', groups: 16, classes: 16, unimix: 0 } } } as const;
type PriorInput = 'joint' | 'separate' | 'separate-raw-action';
const cfg = (priorInput?: PriorInput) =>
  withActionDim(rssmConfig('small', priorInput ? { ...S12, rssm: { ...S12.rssm, priorInput } } : S12), 1);

/** The transition tensors (name → shape) of session 12's step-450 checkpoint (runs/s12-rssm …-rssm-6757). */
const S12_TRANSITION: Record<string, number[]> = {
  'rssm/gru_h/w': [64, 192],
  'rssm/gru_x/b': [192],
  'rssm/gru_x/w': [64, 192],
  'rssm/img_dist/b': [256],
  'rssm/img_dist/w': [64, 256],
  'rssm/img_in/b': [64],
  'rssm/img_in/w': [257, 64],
  'rssm/img_out/b': [64],
  'rssm/img_out/w': [64, 64],
  'rssm/obs_deter/w': [64, 64],
  'rssm/obs_dist/b': [256],
  'rssm/obs_dist/w': [64, 256],
  'rssm/obs_embed/b': [64],
  'rssm/obs_embed/w': [512, 64],
};

const transition = (p: Record<string, tf.Tensor>) =>
  Object.fromEntries(
    Object.entries(p)
      .filter(([k]) => k.startsWith('rssm/'))
      .map(([k, t]) => [k, t.shape])
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );

test('rssm.priorInput: every preset and an old run config (no such key) are joint; a bad value is one line', () => {
  for (const preset of ['planet', 'dreamerv1', 'dreamerv2', 'small', 'debug', 'cvrl', 'dreamerpro', 'default'])
    assert.equal(rssmConfig(preset).rssm.priorInput, 'joint', preset);
  const old = structuredClone(rssmConfig('small', S12)) as { rssm: Record<string, unknown> };
  delete old.rssm.priorInput;
  assert.equal(parseRssmConfig(old).rssm.priorInput, 'joint');
  assert.throws(
    () => rssmConfig('small', { rssm: { priorInput: 'dreamerv3' as never } }),
    (e: unknown) => {
      const m = (e as Error).message;
      return isUserError(e) && !m.includes('\n') && /rssm\.priorInput: .*expected one of "joint"\|"separate"/.test(m);
    },
  );
});

test("joint: the transition's tensors are session 12's checkpoint's, by name and shape", async () => {
  await initBackend('cpu');
  const p = initRssmParams(cfg(), 0);
  assert.deepEqual(transition(p), S12_TRANSITION);
  tf.dispose(Object.values(p));
});

test('separate: own tensor names, so a joint checkpoint is refused in one line instead of filling them', async () => {
  await initBackend('cpu');
  const joint = initRssmParams(cfg('joint'), 0);
  const sep = initRssmParams(cfg('separate'), 0);
  const shapes = transition(sep);
  for (const [k, shape] of Object.entries(shapes)) {
    if (k in S12_TRANSITION) assert.deepEqual(shape, S12_TRANSITION[k], `${k} shared with another shape`);
  }
  for (const k of ['rssm/img_in/w', 'rssm/gru_x/w']) assert.ok(!(k in shapes), `${k} is the joint layout's`);
  assert.deepEqual(shapes['rssm/dynin_action/w'], [1, 64]);
  assert.deepEqual(shapes['rssm/gru_dynin/w'], [128, 192], "the GRU's input is both 64-wide embeddings");
  assert.throws(
    () => assignParams(sep, namedParams(joint, 'model/'), 'model/'),
    (e: unknown) => isUserError(e) && /checkpoint has no tensor 'model\/rssm\/dynin_/.test((e as Error).message),
  );
  tf.dispose([...Object.values(joint), ...Object.values(sep)]);
});

test('separate at init: the next deter moves with the action about as much as with the latent (joint: ~0.4 of it)', async () => {
  await initBackend('cpu');
  const n = 64;
  const onehots = (seed: number) =>
    tf.cast(tf.reshape(tf.oneHot(tf.randomUniform([n, 16], 0, 16, 'int32', seed), 16), [n, 256]), 'float32');
  const ratio = (priorInput: 'joint' | 'separate', seed: number) => {
    const c = cfg(priorInput);
    const p = initRssmParams(c, seed);
    const r = tf.tidy(() => {
      const [s1, s2] = [onehots(seed + 10), onehots(seed + 20)];
      const deter = tf.randomNormal([n, 64], 0, 0.5, 'float32', seed + 30);
      const next = (stoch: tf.Tensor, a: number) => imgStep(p, c, { deter, stoch }, tf.fill([n, 1], a), null).deter;
      const rms = (x: tf.Tensor, y: tf.Tensor) => Math.sqrt(tf.mean(tf.square(tf.sub(x, y))).dataSync()[0]);
      return rms(next(s1, -1), next(s1, 1)) / rms(next(s1, 0.5), next(s2, 0.5));
    });
    tf.dispose(Object.values(p));
    return r;
  };
  for (const seed of [0, 1, 2]) {
    // Measured: joint 0.41 / 0.40 / 0.41, separate 1.16 / 1.11 / 1.21.
    const [j, s] = [ratio('joint', seed), ratio('separate', seed)];
    assert.ok(s > 0.8, `separate, seed ${seed}: action / latent effect ${s.toFixed(2)}`);
    assert.ok(s > 2 * j, `seed ${seed}: separate ${s.toFixed(2)} vs joint ${j.toFixed(2)}`);
  }
});

test("separate-raw-action at init: the next deter moves with the action's size, where separate's norm keeps its sign", async () => {
  await initBackend('cpu');
  const n = 64;
  const stoch = tf.cast(tf.reshape(tf.oneHot(tf.randomUniform([n, 16], 0, 16, 'int32', 7), 16), [n, 256]), 'float32');
  const deter = tf.randomNormal([n, 64], 0, 0.5, 'float32', 8);
  /** How far a 0.3 → 0.9 moves the next deter, over how far a −1 → +1 does. */
  const sizeOverSign = (priorInput: PriorInput, seed: number) => {
    const c = cfg(priorInput);
    const p = initRssmParams(c, seed);
    const r = tf.tidy(() => {
      const next = (a: number) => imgStep(p, c, { deter, stoch }, tf.fill([n, 1], a), null).deter;
      const rms = (x: tf.Tensor, y: tf.Tensor) => Math.sqrt(tf.mean(tf.square(tf.sub(x, y))).dataSync()[0]);
      return rms(next(0.3), next(0.9)) / rms(next(-1), next(1));
    });
    tf.dispose(Object.values(p));
    return r;
  };
  for (const seed of [0, 1, 2]) {
    const [raw, normed] = [sizeOverSign('separate-raw-action', seed), sizeOverSign('separate', seed)];
    // Measured: raw 0.48 / 0.45 / 0.45, separate 0.09 / 0.11 / 0.10 (a plain affine branch would give 0.6).
    assert.ok(raw > 0.35, `raw, seed ${seed}: ${raw.toFixed(2)}`);
    assert.ok(normed < 0.2, `separate, seed ${seed}: ${normed.toFixed(2)}`);
  }
  const p = initRssmParams(cfg('separate-raw-action'), 0);
  const shapes = transition(p);
  assert.ok(!('rssm/dynin_action_norm/g' in shapes) && 'rssm/dynin_stoch_norm/g' in shapes, 'only the stoch is normed');
  tf.dispose([stoch, deter, ...Object.values(p)]);
});
