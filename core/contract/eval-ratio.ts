import type { EvalMetric } from './channels.ts';

/**
 * A pixel metric's ratio to its ratio baseline (`ratio_baseline`: the mean frame; issue 11's dream target is
 * fg@10 / mean-frame ≤ 0.5) with that ratio's 95 % interval over the held-out episodes (`ratio_ci95`): whether a
 * change between two checkpoints is the model's or the few episodes'. It lives in the contract because three places
 * show it — `oneiro eval`'s text, the Evaluation panel (the renderer, which may import only core/contract) and the
 * measure-small scripts — and one function keeps them reading the same ratio the same way.
 */
export interface MetricRatio {
  /** The baseline the ratio is to (`ratio_baseline`). */
  baseline: string;
  /** model / baselines[baseline]; null when either is unmeasured or the baseline is not a positive number. */
  ratio: number | null;
  /** The interval's ends; null where not measurable (e.g. one held-out episode). */
  lo: number | null;
  hi: number | null;
}

/**
 * What the ratio reads of a metric. The contract's metric (`oneiro eval --json`, runs:eval) marks an unmeasured
 * value null; core's own (core/models/family.ts, before JSON) marks it NaN: both are taken, and both come out null.
 */
export type RatioFields = Pick<EvalMetric, 'model' | 'baselines' | 'ratio_baseline' | 'ratio_ci95'>;

/** The metric's ratio to its ratio baseline with the ratio's interval; null when the metric carries no interval. */
export function metricRatio(m: RatioFields): MetricRatio | null {
  if (!m.ratio_baseline || !m.ratio_ci95) return null;
  const base = finiteOrNull(m.baselines?.[m.ratio_baseline]);
  const model = finiteOrNull(m.model);
  const ratio = model !== null && base !== null && base > 0 ? finiteOrNull(model / base) : null;
  return { baseline: m.ratio_baseline, ratio, lo: finiteOrNull(m.ratio_ci95[0]), hi: finiteOrNull(m.ratio_ci95[1]) };
}

function finiteOrNull(x: number | null | undefined): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}
