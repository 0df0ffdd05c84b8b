import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FpsMeter } from '../../../renderer/src/lib/fps.ts';
import { stripLayout } from '../../../renderer/src/lib/strip.ts';
import { chunkPlan, loadAllFrames } from '../../../renderer/src/lib/episode-frames.ts';
import { metricOrder, colorFor, PALETTE } from '../../../renderer/src/lib/palette.ts';
import { fmtNum, fmtDuration } from '../../../renderer/src/lib/format.ts';

test('FpsMeter reports the rate over its window', () => {
  const m = new FpsMeter(1000);
  assert.equal(m.rate(0), 0);
  for (let i = 0; i <= 30; i++) m.tick(i * (1000 / 30));
  assert.ok(Math.abs(m.rate(1000) - 30) < 1e-6, `got ${m.rate(1000)}`);
  // frames older than the window no longer count: after a 2 s stall the rate is 0
  assert.equal(m.rate(3000), 0);
  m.reset();
  assert.equal(m.rate(1000), 0);
});

test('FpsMeter measures a faster stream within the window only', () => {
  const m = new FpsMeter(500);
  for (let i = 0; i < 10; i++) m.tick(i * 100); // 10 fps for 1 s
  for (let i = 1; i <= 30; i++) m.tick(900 + (i * 1000) / 60); // then 60 fps for 0.5 s
  assert.ok(Math.abs(m.rate(1400) - 60) < 0.5, `got ${m.rate(1400)}`);
});

test('stripLayout spans the episode with as many thumbnails as fit', () => {
  // 1000 frames, 44 px square thumbs, 880 px box → 20 fit, stride 50
  assert.deepEqual(stripLayout(1000, 64, 64, 880, 44), { thumbs: 20, thumbW: 44, stride: 50 });
  // short episodes: one thumbnail per frame
  assert.deepEqual(stripLayout(5, 64, 64, 880, 44), { thumbs: 5, thumbW: 44, stride: 1 });
  // the strip never has more thumbnails than fit
  const l = stripLayout(31, 64, 64, 300, 44);
  assert.ok(l.thumbs * l.thumbW <= 300 && l.thumbs * l.stride >= 31);
});

test('chunkPlan covers an episode in calls of at most 1000 frames', () => {
  assert.deepEqual(chunkPlan(0), []);
  assert.deepEqual(chunkPlan(1000), [{ start: 0, count: 1000 }]);
  assert.deepEqual(chunkPlan(2501), [
    { start: 0, count: 1000 },
    { start: 1000, count: 1000 },
    { start: 2000, count: 501 },
  ]);
});

test('loadAllFrames stitches chunks in place and rejects short replies', async () => {
  const frameBytes = 3;
  const calls: number[] = [];
  const all = await loadAllFrames(1500, frameBytes, async (start, count) => {
    calls.push(start);
    return new Uint8Array(count * frameBytes).fill(start === 0 ? 1 : 2);
  });
  assert.deepEqual(calls, [0, 1000]);
  assert.equal(all[0], 1);
  assert.equal(all[1000 * 3 - 1], 1);
  assert.equal(all[1000 * 3], 2);
  await assert.rejects(
    loadAllFrames(10, 3, async () => new Uint8Array(3)),
    /got 3 bytes, expected 30/,
  );
});

test('metricOrder puts losses first, then alphabetical', () => {
  assert.deepEqual(['kl', 'loss/vae', 'fps', 'loss/kl'].sort(metricOrder), ['loss/kl', 'loss/vae', 'fps', 'kl']);
  assert.equal(colorFor(PALETTE.length), PALETTE[0]);
  assert.equal(colorFor(-1), PALETTE[PALETTE.length - 1]);
});

test('number formatting keeps tables tidy', () => {
  assert.equal(fmtNum(null), '—');
  assert.equal(fmtNum(Number.NaN), '—');
  assert.equal(fmtNum(0.000123), '1.23e-4');
  assert.equal(fmtNum(12.34567), '12.35');
  assert.equal(fmtDuration(59_000), '59s');
  assert.equal(fmtDuration(3_723_000), '1h 02m');
});

test('appendPoints adds new steps column-wise, fills keys that appear later with null, ignores old points', async () => {
  const { appendPoints, emptySeries } = await import('../../../renderer/src/lib/series.ts');
  const p = (step: number, values: Record<string, number>) => ({ step, time: null, phase: null, values });
  let s = appendPoints(emptySeries(), [p(20, { 'loss/vae': 2 }), p(10, { 'loss/vae': 3 })]);
  assert.deepEqual(s.steps, [10, 20]);
  const before = s;
  s = appendPoints(s, [p(20, { 'loss/vae': 9 }), p(30, { 'loss/mdn': 1, nan: Number.NaN })]);
  assert.notEqual(s, before);
  assert.deepEqual(s.steps, [10, 20, 30]);
  assert.deepEqual(s.values['loss/vae'], [3, 2, null]);
  assert.deepEqual(s.values['loss/mdn'], [null, null, 1]);
  assert.deepEqual(s.values.nan, [null, null, null]);
  assert.equal(s.lastStep, 30);
  // nothing new → the same object (no re-render)
  assert.equal(appendPoints(s, [p(5, { x: 1 })]), s);
});
