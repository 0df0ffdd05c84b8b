import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pearson } from '../../../core/util/pearson.ts';

test('pearson matches numpy.corrcoef and refuses unequal samples', () => {
  // numpy: np.corrcoef([1, 2, 3, 4, 5.5], [2, 1, 4, 3, 7])[0, 1]
  assert.ok(Math.abs(pearson([1, 2, 3, 4, 5.5], [2, 1, 4, 3, 7]) - 0.858086838240179) < 1e-12);
  assert.ok(Math.abs(pearson([1, 2, 3], [-2, -4, -6]) + 1) < 1e-12);
  assert.throws(() => pearson([1, 2], [1]), /equal length/);
});
