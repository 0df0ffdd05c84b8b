import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_ORDER, backendInfo, initBackend } from '../../../core/tensor/backend.ts';
import { isUserError } from '../../../core/util/errors.ts';
import { installed } from './installed.ts';

// The selection contract, whatever is installed: the chosen backend is the best one that loads, every
// better one is listed with its reason, and tfjs runs on the chosen one. On a machine without the native
// packages (this one, CI) that is wasm; after `npm run install:native-backend` it is node.
test('backend selection: the best backend that loads, reasons for the better ones, forcing and clear errors', async () => {
  const saved = process.env.ONEIRO_BACKEND;
  delete process.env.ONEIRO_BACKEND;
  try {
    const info = await initBackend();
    const rank = BACKEND_ORDER.indexOf(info.name);
    assert.ok(rank >= 0, `chosen backend ${info.name}`);
    assert.equal(tf.getBackend(), info.tfName);
    assert.equal(backendInfo().name, info.name);
    assert.deepEqual(
      info.skipped.map((s) => s.name),
      BACKEND_ORDER.slice(0, rank),
    );
    for (const s of info.skipped) {
      const pkg = s.name === 'node' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-node-gpu';
      if (!installed(pkg)) assert.match(s.reason, new RegExp(`${pkg.replace('/', '\\/')} is not installed`));
      else assert.ok(s.reason.length > 10, `${s.name}: ${s.reason}`);
    }
    // Nothing is skipped below wasm: its package is a dependency, so the default is never worse than wasm.
    assert.ok(rank <= BACKEND_ORDER.indexOf('wasm'), `fell back to ${info.name}`);
    if (!installed('@tensorflow/tfjs-node') && !installed('@tensorflow/tfjs-node-gpu')) assert.equal(info.name, 'wasm');

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
    assert.equal(tf.getBackend(), 'wasm');

    await assert.rejects(
      initBackend('gpu'),
      (e: Error) =>
        isUserError(e) && /unknown backend 'gpu': expected one of node-gpu, node, wasm, cpu/.test(e.message),
    );
    if (!installed('@tensorflow/tfjs-node-gpu'))
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
