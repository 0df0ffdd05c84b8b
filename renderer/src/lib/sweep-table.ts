/**
 * The Sweeps view's table and overlay: columns over a sweep's rows (config point, seed, states, final
 * measures), sorting by any column (missing values last in either direction), and the loss curves of
 * several runs aligned on one step axis for a single uPlot chart.
 */
import type { SweepRow } from '../../../core/contract/channels.ts';
import type { Series } from './series.ts';
import { metricOrder } from './palette.ts';

export type Cell = number | string | boolean | null;

export interface Column {
  id: string;
  label: string;
  numeric: boolean;
  value(r: SweepRow): Cell;
}

/** The run's final value of a measure: its held-out eval where evaluated, else its last logged value. */
export function finalValue(r: SweepRow, key: string, from: 'eval' | 'last'): number | null {
  const v = from === 'eval' ? r.eval?.metrics[key] : r.last[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export function sweepColumns(fields: string[], rows: SweepRow[], maxLosses = 4): Column[] {
  const cols: Column[] = [{ id: 'run', label: 'run', numeric: false, value: (r) => r.runId }];
  for (const f of fields) cols.push({ id: `field:${f}`, label: f, numeric: true, value: (r) => r.fields[f] ?? null });
  cols.push(
    { id: 'seed', label: 'seed', numeric: true, value: (r) => r.seed },
    { id: 'status', label: 'status', numeric: false, value: (r) => r.status },
    { id: 'job', label: 'job', numeric: false, value: (r) => r.job },
    { id: 'worker', label: 'worker', numeric: false, value: (r) => r.worker },
    { id: 'step', label: 'step', numeric: true, value: (r) => r.step },
  );
  const evalKeys = [...new Set(rows.flatMap((r) => Object.keys(r.eval?.metrics ?? {})))].sort();
  for (const k of evalKeys)
    cols.push({ id: `eval:${k}`, label: k, numeric: true, value: (r) => finalValue(r, k, 'eval') });
  const lossKeys = [...new Set(rows.flatMap((r) => Object.keys(r.last)))].sort(metricOrder).slice(0, maxLosses);
  for (const k of lossKeys)
    cols.push({ id: `last:${k}`, label: `last ${k}`, numeric: true, value: (r) => finalValue(r, k, 'last') });
  return cols;
}

function compare(a: Cell, b: Cell): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), 'en', { numeric: true });
}

/** Rows sorted by a column; rows without a value stay at the bottom whichever the direction. */
export function sortRows(rows: SweepRow[], col: Column | undefined, dir: 1 | -1): SweepRow[] {
  if (!col) return rows;
  return rows
    .map((r, i) => ({ r, i, v: col.value(r) }))
    .sort((x, y) => {
      const xm = x.v === null || x.v === undefined;
      const ym = y.v === null || y.v === undefined;
      if (xm || ym) return xm === ym ? x.i - y.i : xm ? 1 : -1;
      return dir * compare(x.v, y.v) || x.i - y.i;
    })
    .map((e) => e.r);
}

/** The logged keys shared by the runs' series, losses first. */
export function overlayKeys(series: (Series | undefined)[]): string[] {
  const keys = new Set<string>();
  for (const s of series) for (const k of s?.keys ?? []) if (k !== 'time' && k !== 'step') keys.add(k);
  return [...keys].sort(metricOrder);
}

/** One key of several runs on the union of their steps (null where a run has no point at a step). */
export function overlay(
  runs: { runId: string; series: Series | undefined }[],
  key: string,
): { x: number[]; lines: { runId: string; values: (number | null)[] }[] } {
  const steps = new Set<number>();
  const maps = runs.map(({ runId, series }) => {
    const m = new Map<number, number | null>();
    const vals = series?.values[key];
    if (series && vals)
      series.steps.forEach((st, i) => {
        if (vals[i] !== null && vals[i] !== undefined) {
          m.set(st, vals[i]);
          steps.add(st);
        }
      });
    return { runId, m };
  });
  const x = [...steps].sort((a, b) => a - b);
  return { x, lines: maps.map(({ runId, m }) => ({ runId, values: x.map((st) => m.get(st) ?? null) })) };
}
