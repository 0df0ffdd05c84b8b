import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { getFamily } from '../models/registry.ts';
import { createRun } from '../runs/trainer.ts';
import { readStatus, runDirOf, type RunStatus } from '../runs/run-dir.ts';
import { writeJsonAtomic } from '../util/atomic-write.ts';
import { UserError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { expandDotted, findHostileKey } from '../util/safe-keys.ts';
import { datasetExists } from '../data/dataset.ts';
import { enqueueRun, readQueueRecord, type TrainQueue } from './jobs.ts';

/**
 * A sweep file (YAML or JSON): one family and preset, a dataset (or an env for online families),
 * `grid` (every combination) or `random` (sampled points) over dotted config fields, times `seeds`.
 * `oneiro sweep FILE` creates one run per point in the shared workspace and enqueues it; the sweep
 * record `sweeps/<id>.json` lists the runs so `oneiro sweep status ID` can report them.
 */
const Scalar = z.union([z.number(), z.string(), z.boolean()]);
const Range = z.strictObject({
  min: z.number(),
  max: z.number(),
  log: z.boolean().optional(),
  int: z.boolean().optional(),
});

export const SweepFile = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected letters, digits, ".", "_" or "-"')
      .optional(),
    family: z.string().min(1),
    preset: z.string().min(1),
    dataset: z.string().min(1).optional(),
    env: z.string().min(1).optional(),
    steps: z.number().int().min(0).optional(),
    seeds: z.array(z.number().int().min(0)).min(1).default([0]),
    overrides: z.record(z.string(), z.unknown()).optional(),
    grid: z.record(z.string(), z.array(Scalar).min(1, 'expected a non-empty list of values')).optional(),
    random: z
      .strictObject({
        samples: z.number().int().min(1).max(10_000),
        seed: z.number().int().default(0),
        fields: z.record(z.string(), z.union([Range, z.array(Scalar).min(1, 'expected a non-empty list of choices')])),
      })
      .optional(),
    train: z
      .strictObject({
        checkpointEvery: z.number().int().positive().optional(),
        logEvery: z.number().int().positive().optional(),
        keepCheckpoints: z.number().int().positive().optional(),
      })
      .optional(),
  })
  .refine((s) => (s.dataset === undefined) !== (s.env === undefined), {
    message: 'give exactly one of dataset (a dataset in the workspace) or env (online families)',
    path: ['dataset'],
  })
  .refine((s) => !(s.grid && s.random), { message: 'give grid or random, not both', path: ['grid'] });
export type SweepFile = z.infer<typeof SweepFile>;

export interface SweepPoint {
  seed: number;
  /** The swept fields' values (dotted names). */
  fields: Record<string, unknown>;
}

export interface SweepRecord {
  id: string;
  name: string;
  created: string;
  file: string;
  family: string;
  preset: string;
  dataset: string | null;
  env: string | null;
  fields: string[];
  runs: { runId: string; seed: number; fields: Record<string, unknown> }[];
}

export const sweepsDir = (workspace: string) => join(workspace, 'sweeps');
export const sweepPath = (workspace: string, id: string) => join(sweepsDir(workspace), `${id}.json`);

export function readSweepFile(path: string): SweepFile {
  if (!existsSync(path)) throw new UserError(`sweep file ${path} does not exist`);
  const text = readFileSync(path, 'utf8');
  let raw: unknown;
  try {
    raw = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new UserError(
      `${path} is not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`,
    );
  }
  const hostile = findHostileKey(raw);
  if (hostile) throw new UserError(`${path}: ${hostile.path} is ${hostile.reason}: expected plain field names`);
  const r = SweepFile.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    const field = i.path.length ? i.path.join('.') : '(top level)';
    throw new UserError(`${path}: ${field}: ${i.message}`);
  }
  return r.data;
}

/** Grid: the cartesian product in file order; random: `samples` draws (log-uniform where asked) — each × seeds. */
export function sweepPoints(s: SweepFile): SweepPoint[] {
  let combos: Record<string, unknown>[] = [{}];
  if (s.grid) {
    for (const [field, values] of Object.entries(s.grid))
      combos = combos.flatMap((c) => values.map((v) => ({ ...c, [field]: v })));
  } else if (s.random) {
    const rng = new Rng(s.random.seed);
    combos = [];
    for (let i = 0; i < s.random.samples; i++) {
      const c: Record<string, unknown> = {};
      for (const [field, spec] of Object.entries(s.random.fields)) {
        if (Array.isArray(spec)) c[field] = spec[Math.floor(rng.next() * spec.length) % spec.length];
        else {
          const u = rng.next();
          let v = spec.log
            ? Math.exp(Math.log(spec.min) + u * (Math.log(spec.max) - Math.log(spec.min)))
            : spec.min + u * (spec.max - spec.min);
          if (spec.int) v = Math.round(v);
          c[field] = v;
        }
      }
      combos.push(c);
    }
  }
  return combos.flatMap((fields) => s.seeds.map((seed) => ({ seed, fields })));
}

export function newSweepId(name: string): string {
  const ts = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${ts}-${name}-${randomBytes(2).toString('hex')}`;
}

/** Validates every point against the family (errors name the field) before creating or enqueueing anything. */
export async function planSweep(workspace: string, path: string, s: SweepFile): Promise<SweepPoint[]> {
  let family;
  try {
    family = await getFamily(s.family);
  } catch (e) {
    throw new UserError(`${path}: family: ${(e as Error).message}`);
  }
  if (!family.presets.includes(s.preset))
    throw new UserError(
      `${path}: preset: '${s.preset}' is not a ${s.family} preset: expected one of ${family.presets.join(', ')}`,
    );
  if (s.dataset && !datasetExists(workspace, s.dataset))
    throw new UserError(
      `${path}: dataset: no dataset '${s.dataset}' in ${join(workspace, 'datasets')} (collect one with oneiro collect)`,
    );
  if (s.env && !family.trainsOnline)
    throw new UserError(`${path}: env: ${s.family} does not train online (rssm does); give a dataset instead`);
  const points = sweepPoints(s);
  for (const p of points) {
    const fail = (m: string) => new UserError(`${path}: ${m}`);
    const overrides = mergeOverrides(s, p, fail);
    try {
      family.resolveConfig(s.preset, overrides);
    } catch (e) {
      throw new UserError(`${path}: ${(e as Error).message}`);
    }
  }
  return points;
}

function mergeOverrides(s: SweepFile, p: SweepPoint, fail: (m: string) => Error): Record<string, unknown> {
  return expandDotted({ ...flatten(s.overrides ?? {}), ...p.fields }, fail);
}

function flatten(o: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v))
      Object.assign(out, flatten(v as Record<string, unknown>, `${prefix}${k}.`));
    else out[prefix + k] = v;
  }
  return out;
}

/** Creates the runs of a sweep and enqueues them; writes the sweep record first so status works at once. */
export async function launchSweep(
  queue: TrainQueue,
  workspace: string,
  path: string,
  s: SweepFile,
  backend: string,
): Promise<SweepRecord> {
  const points = await planSweep(workspace, path, s);
  const name = s.name ?? basename(path).replace(/\.(ya?ml|json)$/i, '');
  const id = newSweepId(name);
  const fields = [...new Set(points.flatMap((p) => Object.keys(p.fields)))];
  const rec: SweepRecord = {
    id,
    name,
    created: new Date().toISOString(),
    file: basename(path),
    family: s.family,
    preset: s.preset,
    dataset: s.dataset ?? null,
    env: s.env ?? null,
    fields,
    runs: [],
  };
  for (const [i, p] of points.entries()) {
    const r = await createRun({
      workspace,
      family: s.family,
      preset: s.preset,
      dataset: s.dataset ?? null,
      env: s.env ?? null,
      seed: p.seed,
      overrides: mergeOverrides(s, p, (m) => new UserError(m)),
      ...(s.steps !== undefined ? { steps: s.steps } : {}),
      ...(s.train ? { train: s.train } : {}),
      backend,
      id: `${id}-${String(i).padStart(3, '0')}`,
    });
    rec.runs.push({ runId: r.id, seed: p.seed, fields: p.fields });
  }
  writeJsonAtomic(sweepPath(workspace, id), rec);
  for (const r of rec.runs) await enqueueRun(queue, workspace, r.runId, id);
  return rec;
}

export function readSweep(workspace: string, id: string): SweepRecord {
  const p = sweepPath(workspace, id);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id) || !existsSync(p)) {
    const known = existsSync(sweepsDir(workspace))
      ? readdirSync(sweepsDir(workspace))
          .filter((f) => f.endsWith('.json'))
          .map((f) => f.slice(0, -5))
      : [];
    throw new UserError(
      `no sweep '${id.slice(0, 80)}' in ${sweepsDir(workspace)}${known.length ? ` (known: ${known.slice(-3).join(', ')})` : ''}`,
    );
  }
  return JSON.parse(readFileSync(p, 'utf8')) as SweepRecord;
}

export interface SweepRunRow {
  runId: string;
  seed: number;
  fields: Record<string, unknown>;
  state: string;
  step: number;
  totalSteps: number;
  jobId: string | null;
  /** BullMQ's state of the run's current job (waiting, active, completed, failed, delayed), when the queue answered. */
  job: string | null;
  /** BullMQ's attemptsMade: processing attempts that ended (failed or completed); stalls are not counted. */
  attempts: number | null;
  worker: string | null;
  message: string | null;
  last: Record<string, number>;
}

export async function sweepStatus(
  workspace: string,
  id: string,
  queue: TrainQueue | null,
): Promise<{ sweep: SweepRecord; rows: SweepRunRow[] }> {
  const sweep = readSweep(workspace, id);
  const rows: SweepRunRow[] = [];
  for (const r of sweep.runs) {
    const dir = runDirOf(workspace, r.runId);
    const st: RunStatus | null = readStatus(dir);
    const q = readQueueRecord(dir);
    let job: string | null = null;
    let attempts: number | null = null;
    let worker: string | null = null;
    if (queue && q) {
      const j = await queue.getJob(q.jobId);
      if (j) {
        job = await j.getState();
        attempts = j.attemptsMade;
        const p = j.progress as { worker?: unknown } | number;
        const ret = j.returnvalue as { worker?: unknown } | null;
        const w = ret?.worker ?? (typeof p === 'object' ? p?.worker : undefined);
        worker = typeof w === 'string' ? w : null;
      }
    }
    rows.push({
      runId: r.runId,
      seed: r.seed,
      fields: r.fields,
      state: st?.state ?? 'created',
      step: st?.step ?? 0,
      totalSteps: st?.totalSteps ?? 0,
      jobId: q?.jobId ?? null,
      job,
      attempts,
      worker,
      message: st?.message ?? null,
      last: st?.last ?? {},
    });
  }
  return { sweep, rows };
}
