import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { glorotUniform, nextSeed, randomNormal, setSeed, shuffledIndices } from '../../../core/tensor/seed.ts';

function draw(): { n: number[]; g: number[]; order: number[]; s: number } {
  const a = randomNormal([5]);
  const b = glorotUniform([3, 4], 3, 4);
  const out = {
    n: Array.from(a.dataSync()),
    g: Array.from(b.dataSync()),
    order: Array.from(shuffledIndices(10)),
    s: nextSeed(),
  };
  tf.dispose([a, b]);
  return out;
}

test('one seed makes initialisation, sampling and data order reproducible', async () => {
  await initBackend('wasm');
  setSeed(42);
  const first = draw();
  setSeed(42);
  assert.deepEqual(draw(), first);
  setSeed(43);
  const other = draw();
  assert.notDeepEqual(other.n, first.n);
  assert.notDeepEqual(other.order, first.order);
  assert.deepEqual(
    [...first.order].sort((x, y) => x - y),
    [...Array(10).keys()],
  );
  const limit = Math.sqrt(6 / 7);
  assert.ok(first.g.every((v) => Math.abs(v) <= limit));
});

test('the same seed gives the same values on cpu and wasm', async () => {
  await initBackend('cpu');
  setSeed(7);
  const cpu = draw();
  await initBackend('wasm');
  setSeed(7);
  assert.deepEqual(draw(), cpu);
});
