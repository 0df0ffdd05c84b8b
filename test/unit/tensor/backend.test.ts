import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { backendInfo, initBackend } from '../../../core/tensor/backend.ts';
import { isUserError } from '../../../core/util/errors.ts';

test('backend selection: wasm here, reasons for the better ones, forcing and clear errors', async () => {
  const saved = process.env.ONEIRO_BACKEND;
  delete process.env.ONEIRO_BACKEND;
  try {
    const info = await initBackend();
    assert.equal(info.name, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    assert.deepEqual(
      info.skipped.map((s) => s.name),
      ['node-gpu', 'node'],
    );
    assert.match(info.skipped[1].reason, /tfjs-node is not installed/);
    assert.equal(backendInfo().name, 'wasm');

    const cpu = await initBackend('cpu');
    assert.equal(cpu.name, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
    // A forced backend still says why each better one is not the default.
    assert.deepEqual(
      cpu.skipped.map((s) => s.name),
      ['node-gpu', 'node', 'wasm'],
    );

    process.env.ONEIRO_BACKEND = 'wasm';
    assert.equal((await initBackend()).name, 'wasm');

    await assert.rejects(
      initBackend('gpu'),
      (e: Error) =>
        isUserError(e) && /unknown backend 'gpu': expected one of node-gpu, node, wasm, cpu/.test(e.message),
    );
    await assert.rejects(
      initBackend('node-gpu'),
      (e: Error) => isUserError(e) && /'node-gpu' was requested but cannot be used/.test(e.message),
    );
    // Gradients are registered (tfjs-core's Node entry has none).
    assert.ok(tf.getGradient('Conv2D') && tf.getGradient('Sum'));
  } finally {
    if (saved === undefined) delete process.env.ONEIRO_BACKEND;
    else process.env.ONEIRO_BACKEND = saved;
  }
});
