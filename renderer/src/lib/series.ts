/**
 * A run's metric history, column-wise for uPlot: the logged steps and one array per key (null where a
 * key was not logged at that step, e.g. VAE terms during the MDN-RNN phase). Appending returns a new
 * object so it can live in `$state.raw`.
 */
import type { MetricPoint } from '../../../core/contract/channels.ts';

/** Metric series of one run, column-wise for uPlot: steps and one array per key (null where not logged). */
export interface Series {
  steps: number[];
  keys: string[];
  values: Record<string, (number | null)[]>;
  lastStep: number;
}

export function emptySeries(): Series {
  return { steps: [], keys: [], values: {}, lastStep: -1 };
}

/** Appends points (sorted by step, newer than the last one) to a series, returning a new object for $state.raw. */
export function appendPoints(s: Series, points: MetricPoint[]): Series {
  const fresh = points.filter((p) => p.step > s.lastStep).sort((a, b) => a.step - b.step);
  if (!fresh.length) return s;
  const steps = s.steps.slice();
  const values: Record<string, (number | null)[]> = {};
  const keys = s.keys.slice();
  for (const k of keys) values[k] = s.values[k].slice();
  for (const p of fresh) {
    for (const k of Object.keys(p.values)) {
      if (!values[k]) {
        keys.push(k);
        values[k] = new Array<number | null>(steps.length).fill(null);
      }
    }
    steps.push(p.step);
    for (const k of keys) values[k].push(Number.isFinite(p.values[k]) ? p.values[k] : null);
  }
  return { steps, keys, values, lastStep: steps[steps.length - 1] };
}

/** Chart values with NaN (nothing to measure at that step) as gaps. */
export function finiteOrNull(xs: ArrayLike<number>): (number | null)[] {
  return Array.from(xs, (v) => (Number.isFinite(v) ? v : null));
}

/** Mean of the finite values (NaN when there are none). */
export function meanOf(xs: ArrayLike<number>): number {
  let s = 0,
    n = 0;
  for (let i = 0; i < xs.length; i++)
    if (Number.isFinite(xs[i])) {
      s += xs[i];
      n++;
    }
  return n ? s / n : NaN;
}
