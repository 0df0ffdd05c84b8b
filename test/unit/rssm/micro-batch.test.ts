// Micro-batched RSSM training (issue 17): the memory estimate counts one micro-batch's activations plus the
// gradient accumulator, the session picks the fewest micro-batches that fit, and a micro-batched step trains.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { rssmConfig, withActionDim } from '../../../core/models/rssm/config.ts';
import { estimateRssmMemory } from '../../../core/models/rssm/memory.ts';
import { estimateBytes, microBatchesToFit } from '../../../core/models/memory.ts';
import { createRssmModel, disposeRssmModel, trainStep } from '../../../core/models/rssm/world-model.ts';
import { randomBatch } from '../../../core/bench/suites/rssm.ts';

const WASM_HEAP = 4 * 2 ** 30;

test("the papers' presets (PlaNet, DreamerV2) fit the 4 GB wasm heap only micro-batched; debug needs none", () => {
  for (const preset of ['planet', 'dreamerv2']) {
    const c = withActionDim(rssmConfig(preset), 3);
    const full = estimateBytes(estimateRssmMemory(c));
    assert.ok(full > WASM_HEAP, `${preset}: the full batch was expected not to fit (${full} bytes)`);
    const k = microBatchesToFit(c.train.batch, (n) => estimateRssmMemory(c, n), 'wasm');
    assert.ok(k > 1 && k < c.train.batch, `${preset}: ${k} micro-batches`);
    const e = estimateRssmMemory(c, k);
    assert.ok(estimateBytes(e) <= WASM_HEAP);
    assert.match(e.shape, new RegExp(`micro-batches of ${Math.ceil(c.train.batch / k)} \\(batch ${c.train.batch}\\)`));
    // One fewer micro-batch would not fit: k is the fewest.
    assert.ok(estimateBytes(estimateRssmMemory(c, k - 1)) > WASM_HEAP);
    // The accumulator is counted: one float per parameter.
    assert.equal(e.extra, e.params);
  }
  const d = withActionDim(rssmConfig('debug'), 3);
  assert.equal(
    microBatchesToFit(d.train.batch, (n) => estimateRssmMemory(d, n), 'wasm'),
    1,
  );
});

test('a micro-batched RSSM step applies, reports the weighted losses and leaks no tensors', async () => {
  await initBackend('wasm');
  const c = withActionDim(rssmConfig('debug', { train: { batch: 4, length: 6 } }), 3);
  const m = createRssmModel(c, 0);
  const batch = randomBatch(c, 4, 6);
  trainStep(m, batch, false, 3);
  const before = tf.memory().numTensors;
  const r = trainStep(m, batch, false, 3);
  assert.equal(r.skipped, false, r.reason);
  assert.ok(Number.isFinite(r.metrics.model_loss) && r.metrics.grad_norm > 0);
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  tf.dispose([batch.image, batch.action, batch.reward, batch.cont, batch.isFirst]);
  disposeRssmModel(m);
});
