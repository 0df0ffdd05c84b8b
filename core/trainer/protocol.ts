import { z } from 'zod';

/**
 * The one message protocol between the host and a worker process (a trainer per run, or a collect
 * job). The same messages travel over child_process IPC (web mode, tests) and Electron's
 * utilityProcess MessagePort (desktop). Both directions are validated; a worker that sends garbage
 * is treated as crashed, never trusted.
 *
 * Progress of a run is NOT sent here: the run folder (status.json, metrics.jsonl, checkpoints/) is
 * the source of truth, written atomically by the runner, and the host reads it — so what the UI
 * shows is exactly what survives a crash.
 */

export const TrainJob = z.strictObject({
  kind: z.literal('train'),
  workspace: z.string().min(1),
  runId: z.string().min(1),
  /** Continue from the latest checkpoint (the runner restores params, optimiser and data position). */
  resume: z.boolean(),
  backend: z.string().optional(),
  /**
   * A file the host creates to ask for pause/stop. The runner's step loop can run for a long time
   * without yielding to the event loop, so an IPC message may not be read until training ends; the
   * trainer polls this file (throttled) from the runner's synchronous onStep hook as well.
   */
  controlFile: z.string().optional(),
  /**
   * Queue workers: before each checkpoint write the trainer asks its worker ('lease') whether the
   * job's lock is still this worker's, and stops without writing when it is not (never two writers).
   */
  leaseChecks: z.boolean().optional(),
  /**
   * After a completed run whose model decodes no pixels, train its probe decoder in this process (the workbench
   * sets it, so the Dream Lab can show a contrastive or prototype run at once; core/runs/probe.ts).
   */
  probe: z.boolean().optional(),
});

/** Trains a run's probe decoder on its latest checkpoint (runs:probe with train), away from the dream server. */
export const ProbeJob = z.strictObject({
  kind: z.literal('probe'),
  workspace: z.string().min(1),
  runId: z.string().min(1),
  /** Optimiser steps (default: the probe preset's). */
  steps: z.number().int().positive().optional(),
  backend: z.string().optional(),
});

export const CollectJob = z.strictObject({
  kind: z.literal('collect'),
  workspace: z.string().min(1),
  env: z.string().min(1),
  dataset: z.string().min(1),
  episodes: z.number().int().positive(),
  seed: z.number().int(),
  size: z.number().int().positive().optional(),
  maxSteps: z.number().int().positive().optional(),
  policy: z.enum(['random', 'brownian']),
  /** Add the episodes to the existing dataset of this name (CollectRequest.append). */
  append: z.boolean().optional(),
  /** A trained run's agent instead of the policy (CollectRequest.agent). */
  agent: z
    .strictObject({
      run: z.string().min(1),
      checkpoint: z.number().int().min(0).optional(),
      noise: z.number().min(0).max(1),
    })
    .optional(),
});

export const ImportJob = z.strictObject({
  kind: z.literal('import'),
  workspace: z.string().min(1),
  source: z.string().min(1),
  dataset: z.string().min(1),
  format: z.enum(['dreamer', 'dreamerv3']),
});

/** A long-lived dream server: loads run checkpoints and answers dream calls (see DREAM_METHODS). */
export const DreamJob = z.strictObject({
  kind: z.literal('dream'),
  workspace: z.string().min(1),
  backend: z.string().optional(),
});

export const Job = z.discriminatedUnion('kind', [TrainJob, CollectJob, ImportJob, DreamJob, ProbeJob]);
export type Job = z.infer<typeof Job>;
export type TrainJob = z.infer<typeof TrainJob>;
export type CollectJob = z.infer<typeof CollectJob>;
export type ImportJob = z.infer<typeof ImportJob>;
export type DreamJob = z.infer<typeof DreamJob>;
export type ProbeJob = z.infer<typeof ProbeJob>;

export const DREAM_METHODS = [
  'openloop',
  'openloopRaw',
  'evaluate',
  'reset',
  'step',
  'frame',
  'exportStrip',
  'exportFeatures',
  'closeSession',
  'imagine',
  'probe',
  'objectsView',
  'goal',
] as const;
export type DreamMethod = (typeof DREAM_METHODS)[number];
const CallError = z.strictObject({ code: z.string(), message: z.string(), field: z.string().optional() });

export const ToWorker = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('start'), job: Job }),
  /** Finish the current step, then wait (no CPU) until 'resume' or 'stop'. */
  z.strictObject({ type: z.literal('pause') }),
  z.strictObject({ type: z.literal('resume') }),
  /** Finish the current step, write a checkpoint, exit. */
  z.strictObject({ type: z.literal('stop') }),
  /** A dream call (dream jobs); the request was validated by the host against the contract. */
  z.strictObject({ type: z.literal('call'), id: z.number().int(), method: z.enum(DREAM_METHODS), req: z.unknown() }),
  /** The answer to a 'lease' question: whether the trainer may still write the run. */
  z.strictObject({ type: z.literal('lease'), id: z.number().int(), ok: z.boolean() }),
]);
export type ToWorker = z.infer<typeof ToWorker>;

export const FromWorker = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ready'), pid: z.number().int() }),
  z.strictObject({ type: z.literal('started'), backend: z.string() }),
  z.strictObject({ type: z.literal('paused'), step: z.number().int().min(0) }),
  z.strictObject({ type: z.literal('resumed') }),
  z.strictObject({ type: z.literal('log'), line: z.string() }),
  /** A queue trainer asks before writing a checkpoint (TrainJob.leaseChecks). */
  z.strictObject({ type: z.literal('lease'), id: z.number().int() }),
  z.strictObject({
    type: z.literal('progress'),
    episodesDone: z.number().int().min(0),
    episodesTotal: z.number().int().min(1),
    steps: z.number().int().min(0),
  }),
  /** What an import job did (before its 'done'). */
  z.strictObject({
    type: z.literal('imported'),
    imported: z.number().int().min(0),
    skipped: z.array(z.strictObject({ file: z.string(), reason: z.string() })),
    converted: z.array(z.string()),
  }),
  /** The answer to a 'call' (typed arrays travel as such: advanced serialization / structured clone). */
  z.strictObject({
    type: z.literal('reply'),
    id: z.number().int(),
    ok: z.boolean(),
    value: z.unknown().optional(),
    error: CallError.optional(),
  }),
  /** The last message before a deliberate exit. */
  z.strictObject({
    type: z.literal('done'),
    outcome: z.enum(['finished', 'stopped', 'failed']),
    message: z.string().nullable(),
  }),
]);
export type FromWorker = z.infer<typeof FromWorker>;

export function parseFromWorker(raw: unknown): { ok: true; msg: FromWorker } | { ok: false; why: string } {
  const r = FromWorker.safeParse(raw);
  if (r.success) return { ok: true, msg: r.data };
  const i = r.error.issues[0];
  return { ok: false, why: `worker message invalid at '${i.path.join('.')}': ${i.message}` };
}

export function parseToWorker(raw: unknown): { ok: true; msg: ToWorker } | { ok: false; why: string } {
  const r = ToWorker.safeParse(raw);
  if (r.success) return { ok: true, msg: r.data };
  const i = r.error.issues[0];
  return { ok: false, why: `host message invalid at '${i.path.join('.')}': ${i.message}` };
}
