import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metricRatio } from '../../../core/contract/eval-ratio.ts';
import { ratioText } from '../../../core/cli/commands/eval.ts';

const fg = {
  model: 0.03,
  baseline: 0.05,
  baseline_name: 'mean-frame',
  baselines: { 'copy-last-frame': 0.09, 'mean-frame': 0.05 },
};

test('metricRatio: model / the named baseline with the interval, nothing without one', () => {
  // The ratio is to ratio_baseline (the mean frame), not to the strongest baseline when another one is.
  const r = metricRatio({
    ...fg,
    baselines: { 'copy-last-frame': 0.04, 'mean-frame': 0.05 },
    ratio_baseline: 'mean-frame',
    ratio_ci95: [0.5, 0.72],
  });
  assert.equal(r?.baseline, 'mean-frame');
  assert.ok(Math.abs(r!.ratio! - 0.6) < 1e-12 && r!.lo === 0.5 && r!.hi === 0.72, JSON.stringify(r));
  assert.equal(metricRatio(fg), null, 'a metric without an interval (a probe, an older report)');
  assert.equal(metricRatio({ ...fg, ratio_baseline: 'mean-frame' }), null, 'a baseline but no interval');
  assert.equal(metricRatio({ ...fg, ratio_ci95: [0.5, 0.72] }), null, 'an interval but no baseline named');
  assert.equal(metricRatio({ ...fg, ratio_baseline: '', ratio_ci95: [0.5, 0.72] }), null);
});

test('metricRatio: an unmeasured model or baseline, or a baseline of 0, gives the interval without a ratio', () => {
  const with95 = { ...fg, ratio_baseline: 'mean-frame', ratio_ci95: [null, null] as [null, null] };
  const none = { baseline: 'mean-frame', ratio: null, lo: null, hi: null };
  assert.deepEqual(metricRatio({ ...with95, model: null }), none, 'JSON: not measured');
  assert.deepEqual(metricRatio({ ...with95, baselines: { 'mean-frame': null } }), none);
  assert.deepEqual(metricRatio({ ...with95, baselines: {} }), none, 'the named baseline missing');
  assert.deepEqual(metricRatio({ ...with95, baselines: undefined }), none);
  assert.deepEqual(metricRatio({ ...with95, baselines: { 'mean-frame': 0 } }), none, 'no baseline error');
  assert.deepEqual(metricRatio({ ...with95, baselines: { 'mean-frame': -0.05 } }), none, 'not an error');
  // Core's metrics (before JSON) mark the unmeasured NaN: the same nulls come out.
  assert.deepEqual(
    metricRatio({ ...fg, model: NaN, ratio_baseline: 'mean-frame', ratio_ci95: [NaN, NaN] }),
    none,
    'NaN as null',
  );
  assert.deepEqual(metricRatio({ ...with95, baselines: { 'mean-frame': Infinity } }), none);
  assert.deepEqual(metricRatio({ ...fg, ratio_baseline: 'mean-frame', ratio_ci95: [0.4, NaN] }), {
    baseline: 'mean-frame',
    ratio: 0.03 / 0.05,
    lo: 0.4,
    hi: null,
  });
});

test("`oneiro eval`'s line reads the ratio through it (scripts/eval-along.ts's interval: eval-along.test.ts)", () => {
  const m = { ...fg, ratio_baseline: 'mean-frame', ratio_ci95: [0.5, 0.72] as [number, number] };
  assert.equal(ratioText(m), '  / mean-frame 0.6000 [0.5000, 0.7200]');
  assert.equal(ratioText({ ...m, baselines: { 'mean-frame': 0 } }), '  / mean-frame n/a [0.5000, 0.7200]');
  assert.equal(ratioText({ ...m, ratio_ci95: [NaN, NaN] }), '  / mean-frame 0.6000 [n/a, n/a]');
  assert.equal(ratioText(fg), '', 'no interval: no ratio column');
});
