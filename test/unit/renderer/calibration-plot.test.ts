import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calibrationPlot, shareColor } from '../../../renderer/src/lib/calibration-plot.ts';

const bin = (truth: number, read: number, n = 10, error_share = 0) => ({
  lo: truth - 0.5,
  hi: truth + 0.5,
  n,
  truth,
  read,
  error_share,
});

test('calibration plot: an exact read lies on the diagonal; a saturated end lies below it; area follows the rows', () => {
  const p = calibrationPlot([bin(-2, -2, 40), bin(0, 0, 160), bin(2, 1, 10, 0.9)], 100)!;
  const [lo, mid, hi] = p.points;
  // One scale on both axes (y grows down in SVG): on the diagonal, cx + cy = size.
  assert.equal(lo.cx + lo.cy, 100);
  assert.equal(mid.cx + mid.cy, 100);
  assert.ok(hi.cx + hi.cy > 100, 'the read short of the truth is drawn below the diagonal');
  assert.ok(lo.cx < mid.cx && mid.cx < hi.cx);
  assert.equal(p.diagonal.x1 + p.diagonal.y1, 100);
  assert.equal(p.diagonal.x2 + p.diagonal.y2, 100);
  assert.ok(mid.r > lo.r && lo.r > hi.r, 'area by share of the rows');
  assert.match(hi.title, /true 1\.50 to 2\.50 \(10 frames\): mean 2\.00, read 1\.00, 90 % of the squared error/);
  assert.equal(p.min, -2);
  assert.equal(p.max, 2);
});

test('calibration plot: no bins, no plot; one constant bin still has a range; colour by error share', () => {
  assert.equal(calibrationPlot([], 100), null);
  const one = calibrationPlot([bin(0.5, 0.5)], 100)!;
  assert.ok(one.max > one.min && Number.isFinite(one.points[0].cx));
  assert.notEqual(shareColor(0), shareColor(1));
  assert.equal(shareColor(2), shareColor(1));
});
