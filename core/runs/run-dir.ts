import { isAlive } from '../util/process.ts';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { writeJsonAtomic } from '../util/atomic-write.ts';
import { UserError } from '../util/errors.ts';
import { RunStatus as RunStatusSchema } from '../contract/schemas.ts';
import type { RunStatus as WireRunStatus } from '../contract/channels.ts';

/**
 * A run folder `<workspace>/runs/<id>/`: config.json (complete and validated), status.json (what a
 * service shows), metrics.jsonl, checkpoints/, exports/. Shared by every model family.
 */
export const runTrainSchema = z.strictObject({
  /** Checkpoint every N optimiser steps (and at every phase end and at the end). */
  checkpointEvery: z.number().int().positive().max(1e8),
  /** Checkpoints kept on disk (the newest ones). */
  keepCheckpoints: z.number().int().positive().max(1000),
  /** Write a metrics line every N steps. */
  logEvery: z.number().int().positive().max(1e8),
  /** Stop after this many non-finite steps in a row (divergence guard). */
  maxBadSteps: z.number().int().positive().max(1e6),
  /** Fraction of the dataset's episodes held out for evaluation (the last ones by file name). */
  heldOutFraction: z.number().min(0).max(0.9),
  /**
   * Memory cap of the streaming replay's episode cache in MiB, for families that train from streamed windows
   * (core/data/replay.ts): a dataset larger than this is read from disk as batches need it. Absent: 256.
   */
  replayCacheMB: z.number().int().min(1).max(1e6).optional(),
});
export type RunTrainConfig = z.infer<typeof runTrainSchema>;

export const DEFAULT_TRAIN: RunTrainConfig = {
  checkpointEvery: 200,
  keepCheckpoints: 3,
  logEvery: 10,
  maxBadSteps: 5,
  heldOutFraction: 0.1,
};

export const runConfigSchema = z.strictObject({
  id: z.string().min(1),
  family: z.string().min(1),
  preset: z.string().min(1),
  seed: z.number().int(),
  /** The backend the run was created on (and is resumed on unless overridden). */
  backend: z.string().min(1),
  created: z.string(),
  source: z.strictObject({
    dataset: z.string().nullable(),
    env: z.string().nullable(),
    /**
     * A run started from another run's checkpoint (core/runs/seed-from.ts, `oneiro train --from RUN --phase P`): that
     * run's id, the phase this one started at and the checkpoint it was seeded from. Absent in every other run (and
     * in configs written before the field existed).
     */
    from: z
      .strictObject({ run: z.string().min(1), phase: z.string().min(1), checkpoint: z.string().min(1) })
      .optional(),
  }),
  train: runTrainSchema,
  /** The family's complete config (validated by the family). */
  model: z.unknown(),
});
export type RunConfig = z.infer<typeof runConfigSchema>;

/**
 * A run's state on disk is the wire's status (core/contract RunStatus) minus 'starting', which only
 * a host knows (it spawned a trainer that has not reported yet). 'stopped' is a paused run the user
 * chose to end; both resume from their last checkpoint.
 */
export const RUN_STATES = RunStatusSchema.options.filter(
  (s): s is Exclude<WireRunStatus, 'starting'> => s !== 'starting',
);
export type RunState = Exclude<WireRunStatus, 'starting'>;
/** The message older versions wrote with state 'paused' for a run the user stopped. */
const LEGACY_STOP_MESSAGE = 'stopped by the user';

export interface RunStatus {
  state: RunState;
  phase: string | null;
  /** Steps completed over all phases, and their total. */
  step: number;
  totalSteps: number;
  pid: number | null;
  /** The machine whose process `pid` is (runs trained by queue workers elsewhere). */
  host?: string;
  backend: string | null;
  updated: string;
  /** Why the run stopped, for failed/crashed/paused. */
  message?: string;
  /** Latest logged scalars (for a run list). */
  last?: Record<string, number>;
}

export const runsRoot = (workspace: string) => join(workspace, 'runs');
export const runDirOf = (workspace: string, id: string) => join(runsRoot(workspace), id);
export const configPath = (dir: string) => join(dir, 'config.json');
export const statusPath = (dir: string) => join(dir, 'status.json');
export const metricsPath = (dir: string) => join(dir, 'metrics.jsonl');
export const checkpointsDir = (dir: string) => join(dir, 'checkpoints');

export function newRunId(family: string, when = new Date()): string {
  const ts = when.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${ts}-${family}-${randomBytes(2).toString('hex')}`;
}

/**
 * Creates the run's folder and returns its id, never reusing one: two runs created in the same second drew the
 * same 4-hex suffix 1 time in 65 536 and then wrote into one folder. A drawn id that exists is drawn again; an id
 * the caller chose that exists is refused.
 */
export function claimRunDir(
  workspace: string,
  family: string,
  id?: string,
  draw: (family: string) => string = newRunId,
): { id: string; dir: string } {
  mkdirSync(runsRoot(workspace), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    const candidate = id ?? draw(family);
    const dir = runDirOf(workspace, candidate);
    try {
      mkdirSync(dir); // not recursive: fails on an existing folder, atomically across processes
      return { id: candidate, dir };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (id !== undefined) throw new UserError(`a run named '${id}' already exists in ${runsRoot(workspace)}`);
      if (attempt >= 100) throw new UserError(`could not find a free run id in ${runsRoot(workspace)}`);
    }
  }
}

export function writeRunConfig(dir: string, cfg: RunConfig): void {
  mkdirSync(checkpointsDir(dir), { recursive: true });
  writeJsonAtomic(configPath(dir), cfg);
}

export function readRunConfig(dir: string): RunConfig {
  const p = configPath(dir);
  if (!existsSync(p)) throw new UserError(`no run at ${dir}: config.json is missing`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(p, 'utf8'));
  } catch (e) {
    throw new UserError(`${p} is not valid JSON: ${(e as Error).message}`);
  }
  const r = runConfigSchema.safeParse(raw);
  if (!r.success)
    throw new UserError(`invalid ${p}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data;
}

export function writeStatus(dir: string, s: Omit<RunStatus, 'updated'>): RunStatus {
  const full: RunStatus = { ...s, updated: new Date().toISOString() };
  writeJsonAtomic(statusPath(dir), full);
  return full;
}

/**
 * The state a reader outside the trainer should report: status.json says 'running' until the trainer
 * writes otherwise, so a trainer killed mid-run (SIGKILL, out of memory) is 'crashed' when its pid is gone.
 */
export function observedState(s: RunStatus | null): RunState | 'unknown' {
  if (!s) return 'unknown';
  return s.state === 'running' && !isAlive(s.pid) ? 'crashed' : s.state;
}

export function readStatus(dir: string): RunStatus | null {
  let s: Omit<RunStatus, 'state'> & { state: string };
  try {
    s = JSON.parse(readFileSync(statusPath(dir), 'utf8')) as RunStatus;
  } catch {
    return null;
  }
  // Run folders written before the shared vocabulary: 'finished', and a stop told only by the message.
  if (s.state === 'finished') s.state = 'completed';
  if (s.state === 'paused' && s.message === LEGACY_STOP_MESSAGE) s.state = 'stopped';
  if (!(RUN_STATES as readonly string[]).includes(s.state)) s.state = 'crashed';
  return s as RunStatus;
}

/** A run named by id (in the workspace) or by its folder path. */
export function resolveRunDir(workspace: string, idOrPath: string): string {
  const byId = runDirOf(workspace, idOrPath);
  if (existsSync(configPath(byId))) return byId;
  if (existsSync(configPath(idOrPath))) return idOrPath;
  const known = listRunIds(workspace);
  throw new UserError(
    `no run '${idOrPath}' in ${runsRoot(workspace)}: expected a run id${known.length ? ` (e.g. ${known.slice(-3).join(', ')})` : ' (there are no runs yet; start one with oneiro train)'}`,
  );
}

export function listRunIds(workspace: string): string[] {
  const root = runsRoot(workspace);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((d) => existsSync(configPath(join(root, d))))
    .sort();
}

export interface RunSummary {
  id: string;
  dir: string;
  family: string;
  preset: string;
  dataset: string | null;
  /** The run this one started from (RunConfig.source.from), if any. */
  from: { run: string; phase: string } | null;
  created: string;
  status: RunStatus | null;
}

export function listRuns(workspace: string): RunSummary[] {
  const out: RunSummary[] = [];
  for (const id of listRunIds(workspace)) {
    const dir = runDirOf(workspace, id);
    try {
      const cfg = readRunConfig(dir);
      out.push({
        id,
        dir,
        family: cfg.family,
        preset: cfg.preset,
        dataset: cfg.source.dataset,
        from: cfg.source.from ? { run: cfg.source.from.run, phase: cfg.source.from.phase } : null,
        created: cfg.created,
        status: readStatus(dir),
      });
    } catch {
      // A folder with a broken config is listed by `oneiro runs` as unreadable, not fatal.
      out.push({ id, dir, family: '?', preset: '?', dataset: null, from: null, created: '', status: null });
    }
  }
  return out;
}
