import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { checkMemoryFits, estimateBytes } from '../../../core/models/memory.ts';
import { rssmConfig, withActionDim } from '../../../core/models/rssm/config.ts';
import { estimateRssmMemory, rssmParamCount } from '../../../core/models/rssm/memory.ts';
import { initRssmParams } from '../../../core/models/rssm/world-model.ts';
import { resolveWorldModelsConfig } from '../../../core/models/world-models/config.ts';
import { rnnParamCount, vaeParamCount, estimateWorldModelsMemory } from '../../../core/models/world-models/memory.ts';
import { initVae } from '../../../core/models/world-models/vae.ts';
import { initMdnRnn } from '../../../core/models/world-models/mdn-rnn.ts';
import { Rng } from '../../../core/util/rng.ts';
import { isUserError } from '../../../core/util/errors.ts';

// Hardening issue, item 4: the estimate counts from the config alone, and refuses what cannot fit.

const size = (p: Record<string, tf.Tensor>) => Object.values(p).reduce((n, t) => n + t.size, 0);

test('the parameter counts equal the parameters the models create', async () => {
  await initBackend('cpu');
  for (const over of [
    {},
    { rssm: { gruNorm: true, latent: { kind: 'discrete', groups: 4, classes: 4, unimix: 0 } } },
    { rssm: { priorInput: 'separate' } },
    { rssm: { priorInput: 'separate-raw-action' } },
  ]) {
    const c = withActionDim(rssmConfig('debug', over as never), 3);
    const p = initRssmParams(c, 0);
    assert.equal(rssmParamCount(c, 3), size(p));
    tf.dispose(Object.values(p));
  }
  const w = resolveWorldModelsConfig('debug');
  const vae = initVae(w.vae, new Rng(0));
  assert.equal(vaeParamCount(w), size(vae));
  const rnn = initMdnRnn(w.rnn, { zDim: w.vae.zDim, actionDim: 3 }, new Rng(0));
  assert.equal(rnnParamCount(w, 3), size(rnn));
  tf.dispose([...Object.values(vae), ...Object.values(rnn)]);
});

test('the estimate grows with batch, length and width, and covers the measured debug heap', () => {
  const small = estimateBytes(estimateRssmMemory(rssmConfig('debug')));
  // Measured with scripts/measure-train-memory.ts: 48 MiB of wasm heap after 3 steps of rssm debug.
  assert.ok(small >= 48 * 2 ** 20 && small < 4 * 48 * 2 ** 20, `${small}`);
  const e = (o: object) => estimateBytes(estimateRssmMemory(rssmConfig('debug', o)));
  assert.ok(e({ train: { batch: 32 } }) > e({ train: { batch: 8 } }));
  assert.ok(e({ train: { length: 64 } }) > e({ train: { length: 16 } }));
  assert.ok(e({ rssm: { deter: 512 } }) > e({ rssm: { deter: 32 } }));
  const wm = (o: object) => estimateBytes(estimateWorldModelsMemory(resolveWorldModelsConfig('debug', o)));
  assert.ok(wm({ vae: { batch: 1024 } }) > wm({ vae: { batch: 32 } }));
  assert.ok(wm({ rnn: { hidden: 4096 } }) > wm({}));
});

test('configs that can never fit within the bounds are refused on wasm with what to change', () => {
  const refuse = (family: string, estimate: ReturnType<typeof estimateRssmMemory>, lever: RegExp) => {
    try {
      checkMemoryFits(family, 'debug', estimate, 'wasm');
    } catch (e) {
      assert.ok(isUserError(e));
      const m = (e as Error).message;
      assert.ok(!m.includes('\n'));
      assert.match(m, /needs about [\d.]+ GB to train on wasm .* but the wasm32 heap is 4\.0 GB: use a smaller preset/);
      assert.match(m, lever);
      return;
    }
    assert.fail('accepted');
  };
  refuse(
    'rssm',
    estimateRssmMemory(rssmConfig('debug', { rssm: { deter: 8192 }, train: { batch: 1024 } })),
    /train\.batch/,
  );
  refuse('rssm', estimateRssmMemory(rssmConfig('debug', { train: { batch: 4096, length: 4096 } })), /train\.length/);
  refuse(
    'world-models',
    estimateWorldModelsMemory(resolveWorldModelsConfig('debug', { rnn: { hidden: 8192, seqLen: 1024 } })),
    /rnn\.seqLen/,
  );
  refuse(
    'world-models',
    estimateWorldModelsMemory(resolveWorldModelsConfig('default', { vae: { batch: 4096 } })),
    /vae\.batch/,
  );
  // The debug presets fit.
  checkMemoryFits('rssm', 'debug', estimateRssmMemory(rssmConfig('debug')), 'wasm');
  checkMemoryFits('world-models', 'debug', estimateWorldModelsMemory(resolveWorldModelsConfig('debug')), 'wasm');
});
