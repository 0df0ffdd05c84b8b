import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metricRatio } from '../../../renderer/src/lib/eval-ratio.ts';

test("the Evaluation panel's ratio column: model / the named baseline with the ratio's interval, nothing without one", () => {
  const fg = {
    model: 0.03,
    baseline: 0.05,
    baseline_name: 'mean-frame',
    baselines: { 'copy-last-frame': 0.09, 'mean-frame': 0.05 },
  };
  // The ratio is to ratio_baseline (the mean frame), not to the strongest baseline when another one is.
  const r = metricRatio({
    ...fg,
    baseline: 0.04,
    baseline_name: 'copy-last-frame',
    baselines: { 'copy-last-frame': 0.04, 'mean-frame': 0.05 },
    ratio_baseline: 'mean-frame',
    ratio_ci95: [0.5, 0.72],
  });
  assert.equal(r?.baseline, 'mean-frame');
  assert.ok(Math.abs(r!.ratio! - 0.6) < 1e-12 && r!.lo === 0.5 && r!.hi === 0.72, JSON.stringify(r));
  assert.equal(metricRatio(fg), null, 'a metric without an interval (a probe, an older report)');
  const unmeasured = metricRatio({ ...fg, model: null, ratio_baseline: 'mean-frame', ratio_ci95: [null, null] });
  assert.deepEqual(unmeasured, { baseline: 'mean-frame', ratio: null, lo: null, hi: null });
});
