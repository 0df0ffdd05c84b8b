import { test } from 'node:test';
import assert from 'node:assert/strict';
import { r2Interval, r2OfGroups, r2Sums } from '../../../core/util/r2-interval.ts';
import { r2Score } from '../../../core/util/ridge.ts';
import { Rng } from '../../../core/util/rng.ts';

/** Groups of rows [n, 2]: y and ŷ = y + noise·(the group's own scale). */
function data(sizes: number[], noise: number[], seed: number) {
  const rng = new Rng(seed);
  const y: number[] = [];
  const yHat: number[] = [];
  sizes.forEach((n, g) => {
    for (let i = 0; i < n; i++) {
      const a = rng.normal() + g * 0.1;
      const b = rng.uniform(-1, 1);
      y.push(a, b);
      yHat.push(a + noise[g] * rng.normal(), b + 0.5 * rng.normal());
    }
  });
  return { y, yHat };
}

test('R² over any multiset of groups (a resample) equals r2Score on those rows concatenated', () => {
  const sizes = [5, 9, 3, 7, 6];
  const { y, yHat } = data(sizes, [0.1, 0.5, 1, 0.2, 2], 1);
  const s = r2Sums(y, yHat, sizes);
  const starts = sizes.map((_, g) => sizes.slice(0, g).reduce((a, b) => a + b, 0));
  for (const idx of [
    [0, 1, 2, 3, 4],
    [4, 4, 1, 0, 0],
    [2, 3],
  ]) {
    const ry: number[] = [];
    const rh: number[] = [];
    for (const g of idx) {
      ry.push(...y.slice(starts[g] * 2, (starts[g] + sizes[g]) * 2));
      rh.push(...yHat.slice(starts[g] * 2, (starts[g] + sizes[g]) * 2));
    }
    const want = r2Score(ry, rh, ry.length / 2);
    const got = r2OfGroups(s, idx);
    got.forEach((v, d) => assert.ok(Math.abs(v - want[d]) < 1e-9, `groups ${idx}, target ${d}: ${v} vs ${want[d]}`));
  }
});

test('the 95 % interval over groups: a point when every group is the same, wide when one group decides R²', () => {
  const same = data([20], [0.3], 2);
  // Ten copies of one group: every resample is that group ten times, so every resample's R² is the group's.
  const copies = {
    y: Array.from({ length: 10 }, () => same.y).flat(),
    yHat: Array.from({ length: 10 }, () => same.yHat).flat(),
  };
  const point = r2Score(same.y, same.yHat, 20);
  const flat = r2Interval(r2Sums(copies.y, copies.yHat, Array(10).fill(20)), 0);
  flat.forEach(([lo, hi], d) => {
    assert.ok(Math.abs(lo - point[d]) < 1e-9 && Math.abs(hi - point[d]) < 1e-9, `target ${d}: [${lo}, ${hi}]`);
  });
  // Ten groups predicted alike, or nine well and one badly: the one bad episode makes target 0's interval wide.
  const even = data(Array(10).fill(30), Array(10).fill(0.2), 3);
  const oneBad = data(Array(10).fill(30), [...Array(9).fill(0.05), 3], 3);
  const [evenLo, evenHi] = r2Interval(r2Sums(even.y, even.yHat, Array(10).fill(30)), 0)[0];
  const s = r2Sums(oneBad.y, oneBad.yHat, Array(10).fill(30));
  const [lo, hi] = r2Interval(s, 0)[0];
  const r2 = r2OfGroups(s, [...Array(10).keys()])[0];
  assert.ok(evenHi - evenLo < 0.05, `alike: [${evenLo}, ${evenHi}]`);
  assert.ok(hi - lo > 0.5, `one bad group: [${lo}, ${hi}]`);
  assert.ok(lo <= r2 && r2 <= hi, `${r2} in [${lo}, ${hi}]`);
  assert.ok(hi > 0.98, 'resamples without the bad group read ≈ 1');
});

test('the interval is seeded (same data and seed, same interval) and undefined with fewer than two groups', () => {
  const { y, yHat } = data([8, 8, 8, 8], [0.1, 1, 0.3, 2], 4);
  const s = r2Sums(y, yHat, [8, 8, 8, 8]);
  assert.deepEqual(r2Interval(s, 7), r2Interval(s, 7));
  assert.notDeepEqual(r2Interval(s, 7), r2Interval(s, 8));
  const one = r2Sums(y.slice(0, 16), yHat.slice(0, 16), [8]);
  assert.deepEqual(r2Interval(one, 0), [
    [NaN, NaN],
    [NaN, NaN],
  ]);
  assert.throws(() => r2Sums(y, yHat, [8, 7]), /disagree/);
  assert.throws(() => r2Sums(y, yHat.slice(2), [8, 8, 8, 8]), /disagree/);
});
