// The controller is scored from the start of a real episode, so its dreams start there too (WMx
// doomrnn/rnn_train.py: initial_z.json holds frame 0 of each episode). A start drawn from anywhere in a
// random-policy episode starts many CarRacing dreams after the car has left the road.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dreamStarts } from '../../../core/models/world-models/controller.ts';
import type { WmEpisode } from '../../../core/models/world-models/data.ts';

const Z = 3;
/** An encoded episode whose frame t has μ = [e·100 + t + d/10] and log σ² = −(e·100 + t) − 1. */
function episode(e: number, T: number): WmEpisode {
  const mu = new Float32Array(T * Z);
  const logvar = new Float32Array(T * Z);
  for (let t = 0; t < T; t++)
    for (let d = 0; d < Z; d++) {
      mu[t * Z + d] = e * 100 + t + d / 10;
      logvar[t * Z + d] = -(e * 100 + t) - 1;
    }
  return {
    frames: new Uint8Array(0),
    T,
    action: new Float32Array(T),
    reward: new Float32Array(T),
    terminal: new Uint8Array(T),
    mu,
    logvar,
  };
}

test('dreams start from the encoder outputs of each episode’s first frame, one start per episode', () => {
  const eps = [episode(0, 7), episode(1, 4), episode(2, 9)];
  const s = dreamStarts(eps, Z);
  assert.equal(s.count, 3);
  assert.deepEqual(Array.from(s.mu), [0, 0.1, 0.2, 100, 100.1, 100.2, 200, 200.1, 200.2].map(Math.fround));
  assert.deepEqual(Array.from(s.logvar), [-1, -1, -1, -101, -101, -101, -201, -201, -201]);
});

test('dream starts refuse episodes that were not encoded yet', () => {
  const e = episode(0, 3);
  delete e.mu;
  assert.throws(() => dreamStarts([e], Z), /encodeEpisodes first/);
});
