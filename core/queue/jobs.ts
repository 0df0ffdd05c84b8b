import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Queue, type JobsOptions } from 'bullmq';
import { z } from 'zod';
import { writeJsonAtomic } from '../util/atomic-write.ts';
import { readStatus, runDirOf, writeStatus } from '../runs/run-dir.ts';
import { redact, type QueueAddress } from './connection.ts';
import { UserError } from '../util/errors.ts';

/**
 * Training jobs on BullMQ. A job names a run of the shared workspace (its folder holds config,
 * checkpoints and metrics); every worker and the host see the same folder, so a job carries only the
 * run id. Each (re)start of a run is a new job; `runs/<id>/queue.json` names the current one.
 */
export const TRAIN_QUEUE = 'oneiro-train';

export const TrainJobData = z.strictObject({
  runId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/),
  sweepId: z.string().nullable(),
});
export type TrainJobData = z.infer<typeof TrainJobData>;

/** A job that fails 3 times (an error, or a worker killed each time) is failed with its last error. */
export const JOB_ATTEMPTS = 3;
export const JOB_OPTIONS: JobsOptions = {
  attempts: JOB_ATTEMPTS,
  backoff: { type: 'fixed', delay: 1000 },
  // Finished jobs stay listed (sweep status reads them); Redis holds only small records per run.
  removeOnComplete: false,
  removeOnFail: false,
};

/** What a finished job returns. */
export interface TrainJobResult {
  outcome: 'finished' | 'paused' | 'stopped';
  step: number;
  totalSteps: number;
  worker: string;
}

/** Progress a worker reports while a job is active. */
export interface TrainJobProgress {
  step: number;
  totalSteps: number;
  phase: string | null;
  worker: string;
  host: string;
  backend: string;
  last?: Record<string, number>;
}

export const RunQueueRecord = z.strictObject({
  jobId: z.string(),
  sweepId: z.string().nullable(),
  enqueued: z.string(),
});
export type RunQueueRecord = z.infer<typeof RunQueueRecord>;

export const queueRecordPath = (runDir: string) => join(runDir, 'queue.json');
/** The shared-workspace control file the trainer polls (see TrainJob.controlFile): 'pause' or 'stop'. */
export const controlPath = (runDir: string) => join(runDir, 'control');

export function readQueueRecord(runDir: string): RunQueueRecord | null {
  try {
    const r = RunQueueRecord.safeParse(JSON.parse(readFileSync(queueRecordPath(runDir), 'utf8')));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

export type TrainQueue = Queue;

/**
 * `failFast` (command-line producers): give up after a few reconnects instead of waiting for Redis
 * forever, as a long-lived worker or host should.
 */
export function openQueue(
  addr: QueueAddress,
  opts: { failFast?: boolean; onError?: (message: string) => void } = {},
): TrainQueue {
  const connection = opts.failFast
    ? {
        ...addr.connection,
        maxRetriesPerRequest: 1,
        connectTimeout: 5000,
        retryStrategy: (n: number) => (n > 3 ? null : 300),
      }
    : addr.connection;
  const queue = new Queue(TRAIN_QUEUE, { connection });
  // Connection errors surface where the queue is used (checkQueue, a failing call); without a listener
  // they would also be printed with a stack by the emitter.
  queue.on('error', (e: Error) => opts.onError?.(redact(e.message.split('\n')[0], addr.secrets)));
  return queue;
}

/** Checks that the queue answers, with a one-line error naming the (credential-free) address. */
export async function checkQueue(queue: TrainQueue, addr: QueueAddress, timeoutMs = 10_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      queue.getJobCounts('waiting'),
      new Promise(
        (_, reject) =>
          (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs)),
      ),
    ]);
  } catch (e) {
    const why = redact((e as Error).message.split('\n')[0], addr.secrets);
    throw new UserError(`cannot reach the job queue at ${addr.display}: ${why}`);
  } finally {
    clearTimeout(timer);
  }
}

/** Enqueues a (re)start of a run: status 'queued', a fresh control file, queue.json, then the job. */
export async function enqueueRun(
  queue: TrainQueue,
  workspace: string,
  runId: string,
  sweepId: string | null = null,
): Promise<RunQueueRecord> {
  const dir = runDirOf(workspace, runId);
  if (!existsSync(join(dir, 'config.json'))) throw new Error(`no run '${runId}' in ${workspace}`);
  rmSync(controlPath(dir), { force: true });
  // Job ids are unique per start: BullMQ ignores an add whose id already exists.
  const jobId = `${runId}.${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const rec: RunQueueRecord = { jobId, sweepId, enqueued: new Date().toISOString() };
  writeJsonAtomic(queueRecordPath(dir), rec);
  const disk = readStatus(dir);
  writeStatus(dir, {
    state: 'queued',
    phase: disk?.phase ?? null,
    step: disk?.step ?? 0,
    totalSteps: disk?.totalSteps ?? 0,
    pid: null,
    backend: disk?.backend ?? null,
    message: `job ${jobId} waits for a worker`,
    ...(disk?.last ? { last: disk.last } : {}),
  });
  await queue.add('train', { runId, sweepId }, { ...JOB_OPTIONS, jobId });
  return rec;
}
