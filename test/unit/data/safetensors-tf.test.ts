import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadTensors, saveTensors } from '../../../core/data/safetensors-tf.ts';
import { loadSafetensors } from '../../../core/data/safetensors.ts';

test('tf tensors round trip through safetensors (F32, F16, I32, BOOL) with metadata', async () => {
  await tf.setBackend('cpu');
  const dir = mkdtempSync(join(tmpdir(), 'oneiro-sttf-'));
  try {
    const w = tf.tensor([
      [0.1, -2],
      [3.5, 1e-3],
    ]);
    const idx = tf.tensor([1, -7, 3], [3], 'int32');
    const mask = tf.tensor([true, false], [2], 'bool');
    const path = join(dir, 'w.safetensors');
    await saveTensors(path, { 'enc/w': w, idx, mask }, { step: '9' });
    const { tensors, metadata } = loadTensors(path);
    assert.equal(metadata.step, '9');
    assert.deepEqual(tensors['enc/w'].arraySync(), w.arraySync());
    assert.equal(tensors.idx.dtype, 'int32');
    assert.deepEqual(tensors.idx.arraySync(), [1, -7, 3]);
    assert.equal(tensors.mask.dtype, 'bool');
    assert.deepEqual(tensors.mask.arraySync(), [1, 0]);

    const half = join(dir, 'h.safetensors');
    await saveTensors(half, { w }, {}, { half: true });
    assert.equal(loadSafetensors(half).tensors.w.dtype, 'F16');
    const back = loadTensors(half).tensors.w;
    const a = back.dataSync();
    const b = w.dataSync();
    for (let i = 0; i < a.length; i++)
      assert.ok(Math.abs(a[i] - b[i]) <= Math.abs(b[i]) * 1e-3, `element ${i}: ${a[i]} vs ${b[i]}`);
    tf.dispose([w, idx, mask, back, ...Object.values(tensors)]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
