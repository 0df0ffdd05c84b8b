import type { EvalMetric } from '../../../core/contract/channels.ts';

/**
 * A pixel metric's ratio to its ratio baseline (runs:eval `ratio_baseline`: the mean frame; issue 11's dream target
 * is fg@10 / mean-frame ≤ 0.5) with the ratio's 95 % interval over the held-out episodes (`ratio_ci95`): whether a
 * change between two checkpoints is the model's or the few episodes'. Null when the metric carries no interval.
 */
export function metricRatio(
  m: EvalMetric,
): { baseline: string; ratio: number | null; lo: number | null; hi: number | null } | null {
  if (!m.ratio_baseline || !m.ratio_ci95) return null;
  const base = m.baselines?.[m.ratio_baseline] ?? null;
  const ratio = m.model !== null && base !== null && base > 0 ? m.model / base : null;
  return { baseline: m.ratio_baseline, ratio, lo: m.ratio_ci95[0], hi: m.ratio_ci95[1] };
}
