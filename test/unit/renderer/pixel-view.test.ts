import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OpenLoopReply } from '../../../core/contract/channels.ts';
import { alignSeries, compareSteps, rowAt } from '../../../renderer/src/lib/pixel-view.ts';

// Compare mode lines two open loops up by episode step: a World Models run observes 1 context frame, an RSSM 5,
// so row i of each reply is a different episode step.
const reply = (start: number, context: number, horizon: number, mse: number[]): OpenLoopReply =>
  ({
    start,
    context,
    horizon,
    truth: { shape: [context + horizon, 4, 4, 3], data: new Uint8Array(0) },
    mse: Float32Array.from(mse),
  }) as unknown as OpenLoopReply;

test('compare steps cover both replies; rows and series align by episode step', () => {
  const rssm = reply(10, 5, 3, [0, 0, 0, 0, 0, 0.1, 0.2, 0.3]); // steps 6 … 13
  const wm = reply(10, 1, 4, [0, 0.5, 0.6, 0.7, NaN]); // steps 10 … 14
  const steps = compareSteps(rssm, wm);
  assert.deepEqual(steps, [6, 7, 8, 9, 10, 11, 12, 13, 14]);
  assert.equal(rowAt(rssm, 6), 0);
  assert.equal(rowAt(wm, 6), null);
  assert.equal(rowAt(wm, 11), 1);
  assert.equal(rowAt(rssm, 14), null);
  assert.deepEqual(
    alignSeries(rssm, rssm.mse, steps).map((v) => (v === null ? null : Math.round(v * 10) / 10)),
    [0, 0, 0, 0, 0, 0.1, 0.2, 0.3, null],
  );
  assert.deepEqual(
    alignSeries(wm, wm.mse, steps).map((v) => (v === null ? null : Math.round(v * 10) / 10)),
    [null, null, null, null, 0, 0.5, 0.6, 0.7, null],
    'NaN (past the episode end) is a gap, not a point',
  );
});
