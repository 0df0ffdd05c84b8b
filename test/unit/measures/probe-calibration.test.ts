import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CALIBRATION_BINS, probeCalibration } from '../../../core/runs/probe-calibration.ts';
import { calibrationText } from '../../../core/contract/calibration-text.ts';

// The probe's read against the true value in bins (core/runs/probe-calibration.ts).
const N = 1000;
const truth = Float64Array.from({ length: N }, (_, i) => -3 + (6 * i) / (N - 1)); // uniform on [−3, 3]

test('probe calibration: an exact read sits on the diagonal in every bin, and the bins hold every row', () => {
  const [bins] = probeCalibration(truth, truth, N);
  assert.equal(bins.length, CALIBRATION_BINS);
  assert.equal(
    bins.reduce((n, b) => n + b.n, 0),
    N,
  );
  for (const b of bins) {
    assert.ok(Math.abs(b.read - b.truth) < 1e-12, `bin ${b.lo}..${b.hi}: read ${b.read} vs truth ${b.truth}`);
    assert.ok(b.lo <= b.truth && b.truth <= b.hi);
    assert.equal(b.error_share, 0);
  }
  for (let i = 1; i < bins.length; i++) assert.ok(bins[i].truth > bins[i - 1].truth, 'ordered by true value');
  assert.equal(bins[0].lo, -3);
  assert.equal(bins[bins.length - 1].hi, 3);
});

test('probe calibration: a read that saturates flattens at the ends, and the ends hold the error', () => {
  const read = truth.map((v) => Math.max(-1, Math.min(1, v)));
  const [bins] = probeCalibration(truth, read, N);
  const first = bins[0];
  const last = bins[bins.length - 1];
  assert.ok(first.read > first.truth + 1 && last.read < last.truth - 1, `ends: ${calibrationText([first, last])}`);
  // |v| ≤ 1 is read exactly: the bins within it carry no error.
  const middle = bins.filter((b) => b.hi <= 1 && b.lo >= -1);
  assert.ok(middle.length >= 2);
  for (const b of middle) assert.equal(b.error_share, 0);
  const shares = bins.reduce((s, b) => s + b.error_share, 0);
  assert.ok(Math.abs(shares - 1) < 1e-12, `shares sum to ${shares}`);
  assert.ok(first.error_share + last.error_share > 0.6, 'the outer bins carry most of the squared error');
});

test('probe calibration: a rare extreme value widens the outer bin, not every bin', () => {
  const v = Float64Array.from(truth);
  v[N - 1] = 60; // one frame far off the road
  const [bins] = probeCalibration(v, v, N);
  assert.equal(bins[bins.length - 1].hi, 60);
  const inner = bins.slice(0, -1);
  for (const b of inner) assert.ok(b.hi - b.lo < 1, `an inner bin ${b.lo}..${b.hi} stays narrow`);
});

test('probe calibration: a constant variable is one bin; non-finite rows are left out; two columns, two lists', () => {
  const y = new Float64Array(2 * N);
  const yHat = new Float64Array(2 * N);
  for (let i = 0; i < N; i++) {
    y[2 * i] = 0.5;
    yHat[2 * i] = 0.4;
    y[2 * i + 1] = truth[i];
    yHat[2 * i + 1] = i === 7 ? NaN : truth[i];
  }
  const [flat, v] = probeCalibration(y, yHat, N);
  assert.equal(flat.length, 1);
  assert.deepEqual(
    { ...flat[0], read: +flat[0].read.toFixed(12) },
    {
      lo: 0.5,
      hi: 0.5,
      n: N,
      truth: 0.5,
      read: 0.4,
      error_share: 1,
    },
  );
  assert.equal(
    v.reduce((n, b) => n + b.n, 0),
    N - 1,
  );
  assert.throws(() => probeCalibration(y, yHat.subarray(1), N), /probe calibration: expected two \[1000, D\] arrays/);
});

test('calibrationText: true→read and the share of the squared error per bin', () => {
  const t = calibrationText([
    { lo: -30, hi: -10, n: 4, truth: -20.14, read: -9.62, error_share: 0.31 },
    { lo: -10, hi: 0, n: 9, truth: -0.5, read: -0.25, error_share: 0.69 },
  ]);
  assert.equal(t, '−20.1→−9.62 (31 %)  −0.50→−0.25 (69 %)');
});
