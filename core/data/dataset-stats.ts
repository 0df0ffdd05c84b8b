import { join } from 'node:path';
import type { Dataset, DatasetActionSpace } from './dataset.ts';
import { readNpz } from './npz.ts';
import { UserError } from '../util/errors.ts';

/** `oneiro dataset inspect`: episode lengths, the return distribution and action statistics. */

export interface Summary {
  min: number;
  max: number;
  mean: number;
  std: number;
  median: number;
}

export interface DatasetStats {
  name: string;
  env: string | null;
  observationShape: [number, number, 3];
  actionSpace: DatasetActionSpace;
  episodes: number;
  steps: number;
  /** Steps per episode (rows − 1). */
  length: Summary;
  return: Summary & { histogram: { edges: number[]; counts: number[] } };
  /** Episodes whose last row is a true termination (not a time limit). */
  terminated: number;
  /** Over all rows except each episode's first (which holds the zero "previous action"). */
  action: { mean: number[]; std: number[]; min: number[]; max: number[]; counts?: number[] };
  source: Record<string, unknown>;
}

export function summarize(xs: number[]): Summary {
  if (xs.length === 0) return { min: NaN, max: NaN, mean: NaN, std: NaN, median: NaN };
  const s = [...xs].sort((a, b) => a - b);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
  const m = s.length >> 1;
  return { min: s[0], max: s[s.length - 1], mean, std, median: s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2 };
}

export function histogram(xs: number[], bins = 10): { edges: number[]; counts: number[] } {
  if (xs.length === 0) return { edges: [], counts: [] };
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  const n = lo === hi ? 1 : bins;
  const width = (hi - lo) / n || 1;
  const edges = Array.from({ length: n + 1 }, (_, i) => lo + i * width);
  const counts = new Array(n).fill(0);
  for (const x of xs) counts[Math.min(n - 1, Math.floor((x - lo) / width))]++;
  return { edges, counts };
}

export function inspectDataset(ds: Dataset, onEpisode?: () => void): DatasetStats {
  const { meta } = ds;
  const A =
    meta.actionSpace.kind === 'discrete' ? meta.actionSpace.n : meta.actionSpace.shape.reduce((a, b) => a * b, 1);
  const sum = new Float64Array(A);
  const sq = new Float64Array(A);
  const min = new Array(A).fill(Infinity);
  const max = new Array(A).fill(-Infinity);
  const counts = meta.actionSpace.kind === 'discrete' ? new Array(A).fill(0) : undefined;
  let rows = 0;
  let terminated = 0;
  for (const e of meta.episodes) {
    const arrays = readNpz(join(ds.dir, e.file), { keys: ['action', 'is_first', 'is_terminal'] });
    const act = arrays.action;
    if (!act || act.dtype !== '<f4' || act.shape[1] !== A)
      throw new UserError(`${e.file}: 'action' is not float32 (T, ${A}) as dataset.json says`);
    const data = act.data as Float32Array;
    const first = arrays.is_first?.data as Uint8Array | undefined;
    const T = act.shape[0];
    for (let t = 0; t < T; t++) {
      if (first ? first[t] : t === 0) continue;
      rows++;
      let arg = -1;
      for (let k = 0; k < A; k++) {
        const v = data[t * A + k];
        sum[k] += v;
        sq[k] += v * v;
        if (v < min[k]) min[k] = v;
        if (v > max[k]) max[k] = v;
        if (v === 1 && arg < 0) arg = k;
      }
      if (counts && arg >= 0) counts[arg]++;
    }
    const term = arrays.is_terminal?.data as Uint8Array | undefined;
    if (term && term[T - 1]) terminated++;
    onEpisode?.();
  }
  const mean = Array.from(sum, (s) => (rows ? s / rows : NaN));
  const std = Array.from(sq, (s, k) => (rows ? Math.sqrt(Math.max(0, s / rows - mean[k] ** 2)) : NaN));
  const returns = meta.episodes.map((e) => e.return);
  return {
    name: meta.name,
    env: meta.env,
    observationShape: meta.observationShape,
    actionSpace: meta.actionSpace,
    episodes: meta.counts.episodes,
    steps: meta.counts.steps,
    length: summarize(meta.episodes.map((e) => e.length - 1)),
    return: { ...summarize(returns), histogram: histogram(returns) },
    terminated,
    action: {
      mean,
      std,
      min: min.map((v) => (rows ? v : NaN)),
      max: max.map((v) => (rows ? v : NaN)),
      ...(counts ? { counts } : {}),
    },
    source: meta.source,
  };
}
