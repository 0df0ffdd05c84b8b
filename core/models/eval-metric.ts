import type { EvalMetric } from './family.ts';

/**
 * A metric with several baselines: `baselines` keeps every one by name, and `baseline`/`baseline_name` name the
 * strongest (lowest error, or highest score when higher is better) — the one the model has to beat. Baselines
 * that could not be measured (NaN) are left out of the choice but kept in the map.
 */
export function metricWithBaselines(
  model: number,
  baselines: Record<string, number>,
  lowerIsBetter = true,
): EvalMetric {
  let name = '';
  let best = NaN;
  for (const [k, v] of Object.entries(baselines)) {
    if (!Number.isFinite(v)) continue;
    if (!name || (lowerIsBetter ? v < best : v > best)) {
      name = k;
      best = v;
    }
  }
  return {
    model,
    baseline: best,
    baseline_name: name || Object.keys(baselines)[0] || 'none',
    baselines: { ...baselines },
    ...(lowerIsBetter ? {} : { lower_is_better: false }),
  };
}
