import { existsSync, readdirSync } from 'node:fs';
import type { ReplyOf, RunSummary } from '../contract/channels.ts';
import { readSweep, sweepsDir, sweepStatus, type SweepRecord } from '../queue/sweep.ts';
import type { TrainQueue } from '../queue/jobs.ts';
import { UserError } from '../util/errors.ts';
import { notFound } from './errors.ts';

/**
 * Sweeps of the workspace (`oneiro sweep` writes sweeps/<id>.json) for the Sweeps view: the sweep's
 * runs with their config point, run status (RunService's, so a run this host follows or trains shows
 * live), the job's state and worker (from the queue, when connected) and the final measures — the
 * held-out eval of the latest checkpoint where this host computed it (runs:eval), else the last losses.
 */
export interface SweepSources {
  summary(runId: string): RunSummary;
  queue(): TrainQueue | null;
  evaluated(runId: string): { checkpointStep: number; metrics: Record<string, number | null> } | null;
}

const scalar = (v: unknown): number | string | boolean | null =>
  typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' ? v : v === null ? null : JSON.stringify(v);

export class SweepService {
  constructor(
    private readonly workspace: string,
    private readonly src: SweepSources,
  ) {}

  list(): ReplyOf<'sweeps:list'> {
    const dir = sweepsDir(this.workspace);
    if (!existsSync(dir)) return [];
    const out: ReplyOf<'sweeps:list'> = [];
    for (const f of readdirSync(dir)) {
      if (!f.endsWith('.json') || f.startsWith('.')) continue;
      try {
        out.push(summaryOf(readSweep(this.workspace, f.slice(0, -5))));
      } catch {
        /* a torn or foreign file: `oneiro sweep status` reports it */
      }
    }
    return out.sort((a, b) => b.created.localeCompare(a.created));
  }

  async get(sweepId: string): Promise<ReplyOf<'sweeps:get'>> {
    let status;
    try {
      status = await sweepStatus(this.workspace, sweepId, this.src.queue());
    } catch (e) {
      if (e instanceof UserError) throw notFound(e.message);
      throw e;
    }
    const rows = status.rows.map((r) => {
      let s: RunSummary | null = null;
      try {
        s = this.src.summary(r.runId);
      } catch {
        /* run folder removed: the sweep record still lists it */
      }
      const ev = this.src.evaluated(r.runId);
      const fields: Record<string, number | string | boolean | null> = {};
      for (const [k, v] of Object.entries(r.fields)) fields[k] = scalar(v);
      const last: Record<string, number> = {};
      for (const [k, v] of Object.entries(s?.lastMetrics ?? r.last)) if (Number.isFinite(v)) last[k] = v;
      return {
        runId: r.runId,
        seed: r.seed,
        fields,
        status: s?.status ?? 'failed',
        step: s?.step ?? r.step,
        totalSteps: s?.totalSteps ?? (r.totalSteps || null),
        job: r.job,
        attempts: r.attempts,
        worker: r.worker,
        message: s ? s.message : `run folder ${r.runId} is missing`,
        last,
        eval: ev && s?.lastCheckpoint && ev.checkpointStep === s.lastCheckpoint.step ? ev : null,
      };
    });
    return { ...summaryOf(status.sweep), rows };
  }
}

function summaryOf(s: SweepRecord): ReplyOf<'sweeps:list'>[number] {
  return {
    id: s.id,
    name: s.name,
    created: s.created,
    family: s.family,
    preset: s.preset,
    dataset: s.dataset,
    env: s.env,
    fields: s.fields,
    runs: s.runs.length,
  };
}
