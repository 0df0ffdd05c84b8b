import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { SeedStream } from '../../../core/models/rssm/seed-stream.ts';

/** The state whose next() lands on a multiple of 2³¹ − 1 (a raw seed of 0): SeedStream.next's map, inverted. */
function stateBeforeZero(): number {
  const inv = (a: number) => {
    let x = a; // Newton's iteration for the inverse of an odd number mod 2³²
    for (let i = 0; i < 5; i++) x = Math.imul(x, 2 - Math.imul(a, x));
    return x >>> 0;
  };
  const y = Math.imul((0 - 0x9e3779b9) >>> 0, inv(2246822507)) >>> 0;
  return (y ^ (y >>> 15) ^ (y >>> 30)) >>> 0; // inverts s ^ (s >>> 15)
}

test('SeedStream never hands tfjs a seed of 0, which tfjs would read as no seed at all', async () => {
  await initBackend('wasm');
  const s = stateBeforeZero();
  const raw = new SeedStream(s);
  raw.next();
  assert.equal(raw.state % 2147483647, 0, 'the fixture state is the one before a raw 0');
  const seed = new SeedStream(s).next();
  assert.notEqual(seed, 0);
  const a = tf.randomNormal([8], 0, 1, 'float32', seed);
  const b = tf.randomNormal([8], 0, 1, 'float32', new SeedStream(s).next());
  assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()), 'the same state draws the same noise');
  tf.dispose([a, b]);
});
