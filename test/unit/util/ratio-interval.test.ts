import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ratioInterval, ratioOfGroups } from '../../../core/util/ratio-interval.ts';
import { bootstrapInterval } from '../../../core/util/bootstrap.ts';
import { Rng } from '../../../core/util/rng.ts';

test('the ratio over a multiset of episodes pools their sums: Σ model / Σ baseline, an episode drawn twice counting twice', () => {
  const s = { model: [1, 2, 3], baseline: [2, 2, 4] };
  assert.equal(ratioOfGroups(s, [0, 1, 2]), 6 / 8); // the point ratio: 0.75, not the mean of 0.5, 1, 0.75
  assert.equal(ratioOfGroups(s, [2, 2, 0]), 7 / 10);
  assert.ok(Number.isNaN(ratioOfGroups({ model: [1], baseline: [0] }, [0])), 'no baseline error: no ratio');
});

test('identical episodes, or episodes the model errs on in one proportion to the baseline: the interval is the point', () => {
  // Every resample of four copies of one episode reads that episode's ratio.
  assert.deepEqual(ratioInterval({ model: [2, 2, 2, 2], baseline: [4, 4, 4, 4] }, 0), [0.5, 0.5]);
  // Paired: episodes as unlike as 1 and 50 in error, the model at 0.6 of the baseline on each — every resample's
  // ratio is 0.6. An unpaired bootstrap (the two sums resampled apart) would spread wide here.
  const baseline = [1, 50, 7, 3, 20];
  const [lo, hi] = ratioInterval({ model: baseline.map((b) => 0.6 * b), baseline }, 3);
  assert.ok(Math.abs(lo - 0.6) < 1e-12 && Math.abs(hi - 0.6) < 1e-12, `[${lo}, ${hi}]`);
});

test('a case checked by hand: three episodes, the model erring on one only', () => {
  // model [0, 0, 3] over baseline [1, 1, 1]: a resample drawing the third episode k times reads 3k / 3 = k, k ~
  // Binomial(3, 1/3): P(k = 0) = 8/27 ≈ 0.30 > 0.025 and P(k ≤ 2) = 26/27 ≈ 0.963 < 0.975, so the 2.5 % and 97.5 %
  // points are 0 and 3 (whatever the seed, with 1000 draws); the point ratio is 1.
  const s = { model: [0, 0, 3], baseline: [1, 1, 1] };
  assert.equal(ratioOfGroups(s, [0, 1, 2]), 1);
  for (const seed of [0, 1, 2]) assert.deepEqual(ratioInterval(s, seed), [0, 3]);
  // Two episodes, ratios 0.5 and 1.5 alone: resamples read 0.5 (p = 1/4), 1 (1/2) or 1.5 (1/4) → [0.5, 1.5].
  assert.deepEqual(ratioInterval({ model: [1, 3], baseline: [2, 2] }, 0), [0.5, 1.5]);
});

test('seeded: the same sums and seed give the same interval, another seed another; fewer than two episodes, none', () => {
  const rng = new Rng(1);
  const baseline = Array.from({ length: 33 }, () => rng.uniform(0.5, 2));
  const model = baseline.map((b) => b * rng.uniform(0.2, 1));
  const point = ratioOfGroups({ model, baseline }, [...baseline.keys()]);
  const a = ratioInterval({ model, baseline }, 7);
  assert.deepEqual(ratioInterval({ model, baseline }, 7), a);
  assert.notDeepEqual(ratioInterval({ model, baseline }, 8), a);
  assert.ok(a[0] < point && point < a[1] && a[1] - a[0] < 0.3, `${point} in [${a}]`);
  assert.deepEqual(ratioInterval({ model: [1], baseline: [2] }, 0), [NaN, NaN]);
  assert.throws(() => ratioInterval({ model: [1, 2], baseline: [1] }, 0), /2 model sums but 1 baseline/);
});

test('the shared bootstrap: resamples of the groups by a seeded Rng, percentiles of each output, non-finite left out', () => {
  // The resamples are the Rng's: rng.int(G) G times per draw, in order (r2-interval.ts and claim.ts read the same).
  const rng = new Rng(11);
  const seen: number[][] = [];
  const buffers = new Set<Int32Array>();
  bootstrapInterval(3, 1, (idx) => (seen.push([...idx]), buffers.add(idx), [0]), 11, 4);
  assert.deepEqual(
    seen,
    Array.from({ length: 4 }, () => [rng.int(3), rng.int(3), rng.int(3)]),
  );
  assert.equal(buffers.size, 1, 'one index buffer refilled per resample: a stat reads it, never keeps it');
  // Output 1 is NaN on every draw: [NaN, NaN]; output 0 the mean of the drawn values, within their range.
  const v = [1, 2, 10];
  const [[lo, hi], none] = bootstrapInterval(3, 2, (idx) => [(v[idx[0]] + v[idx[1]] + v[idx[2]]) / 3, NaN], 0);
  assert.ok(lo >= 1 && hi <= 10 && lo < hi, `[${lo}, ${hi}]`);
  assert.deepEqual(none, [NaN, NaN]);
  assert.deepEqual(
    bootstrapInterval(1, 1, () => [5], 0),
    [[NaN, NaN]],
    'one group: no interval by default',
  );
  assert.deepEqual(
    bootstrapInterval(1, 1, () => [5], 0, 10, 1),
    [[5, 5]],
    'unless asked for from one',
  );
});
