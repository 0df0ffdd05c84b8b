import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { foregroundMask, maskedSquaredError, MeanFrame } from '../../../core/media/foreground.ts';
import { fitRidge, predictRidge, r2Score } from '../../../core/util/ridge.ts';

// Reference values computed with numpy by test/fixtures/measures/make_fixtures.py (independent of our code).
const F = JSON.parse(readFileSync(new URL('../../fixtures/measures/fixtures.json', import.meta.url), 'utf8'));

function close(actual: ArrayLike<number>, expected: number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++)
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tol * Math.max(1, Math.abs(expected[i])),
      `${what}[${i}]: got ${actual[i]}, expected ${expected[i]}`,
    );
}

for (const form of ['primal', 'dual'] as const) {
  test(`ridge probe (${form} form): weights, predictions and R² match numpy`, () => {
    const f = F[form];
    const p = fitRidge(f.x, f.y, f.n, f.lambda);
    close(p.weights, f.weights, 1e-8, 'weights');
    close(p.bias, f.bias, 1e-10, 'bias');
    const nt = f.y_test.length / p.targets;
    const pred = predictRidge(p, f.x_test, nt);
    close(pred, f.pred_test, 1e-8, 'predictions');
    close(r2Score(f.y_test, pred, nt), f.r2_test, 1e-8, 'R²');
  });
}

test('R²: 1 for a perfect prediction, 0 for the mean, NaN for a constant target', () => {
  const y = [1, 5, 2, 5, 3, 5];
  assert.deepEqual(r2Score(y, y, 3), [1, NaN]);
  assert.deepEqual(r2Score(y, [2, 5, 2, 5, 2, 5], 3), [0, NaN]);
});

test('foreground: mean frame, per-pixel mask (any channel > 0.1 off the mean) and pooled masked MSE match numpy', () => {
  const f = F.foreground;
  const px = f.size * f.size * 3;
  const m = new MeanFrame(px);
  m.add(Uint8Array.from(f.train), f.train.length / px);
  const mean = m.mean()!;
  close(mean, f.mean, 1e-6, 'mean frame');
  let sse = 0,
    count = 0;
  f.masks.forEach((expected: number[], t: number) => {
    const mask = foregroundMask(f.truth, t * px, mean);
    assert.deepEqual(Array.from(mask), expected, `mask of frame ${t}`);
    const e = maskedSquaredError(f.pred, t * px, f.truth, t * px, mask);
    sse += e.sse;
    count += e.count;
  });
  assert.equal(count, f.count);
  close([sse / count], [f.fg_mse], 1e-10, 'foreground MSE');
});
