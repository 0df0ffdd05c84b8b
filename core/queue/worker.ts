import { existsSync, readFileSync, rmSync } from 'node:fs';
import { hostname, loadavg, cpus } from 'node:os';
import { join } from 'node:path';
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { initBackend } from '../tensor/backend.ts';
import { latestCheckpointName } from '../runs/checkpoints.ts';
import { readStatus, runDirOf, writeStatus } from '../runs/run-dir.ts';
import { forkLauncher, type WorkerHandle, type WorkerLauncher } from '../trainer/launcher.ts';
import type { QueueAddress } from './connection.ts';
import { redact } from './connection.ts';
import {
  controlPath,
  JOB_ATTEMPTS,
  openQueue,
  readQueueRecord,
  TRAIN_QUEUE,
  TrainJobData,
  type TrainJobProgress,
  type TrainJobResult,
} from './jobs.ts';

/**
 * `oneiro worker`: takes training jobs from the queue and runs each with the existing trainer entry
 * as a child process (core/trainer/entry.ts), writing into the shared workspace. BullMQ owns
 * scheduling, locks and stalled-job recovery; this file only maps a job onto a trainer:
 * - the trainer asks before each checkpoint write whether the job's lock is still ours ('lease');
 * - when lock renewal fails the trainer is killed at once (another worker may already have the job);
 * - SIGTERM (close): trainers checkpoint and stop, their jobs go back to the queue for any worker;
 * - a trainer that dies or fails throws, so BullMQ retries the job (JOB_ATTEMPTS) from the last checkpoint.
 */
export interface QueueWorkerOptions {
  address: QueueAddress;
  workspace: string;
  concurrency: number;
  backend?: string;
  launcher?: WorkerLauncher;
  log(line: string): void;
  /** BullMQ lock duration; a killed worker's job is handed on about this long after it died. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
}

export interface QueueWorker {
  readonly id: string;
  readonly backend: string;
  /** Graceful: trainers checkpoint, their jobs are released to the queue, then the worker disconnects. */
  close(): Promise<void>;
}

interface Active {
  runId: string;
  handle: WorkerHandle | null;
  lost: boolean;
}

export const WORKER_KEY_PREFIX = 'oneiro:workers:';
const HEARTBEAT_MS = 5000;

export async function startQueueWorker(opts: QueueWorkerOptions): Promise<QueueWorker> {
  const backend = (await initBackend(opts.backend)).name;
  const host = hostname();
  const id = `${host}:${process.pid}`;
  const launcher = opts.launcher ?? forkLauncher();
  const queue = openQueue(opts.address);
  // A plain client for the lock checks and the heartbeat (BullMQ keeps its own connections).
  const client = new Redis(opts.address.connection);
  client.on('error', () => {}); // reconnects on its own; BullMQ's 'error' events are logged below
  const active = new Map<string, Active>();
  let shuttingDown = false;
  const say = (line: string) => opts.log(redact(line, opts.address.secrets));

  const holdsLock = async (job: Job, token: string | undefined): Promise<boolean> => {
    try {
      return token !== undefined && (await client.get(`${queue.toKey(job.id!)}:lock`)) === token;
    } catch {
      return false; // Redis unreachable: not provably ours, so do not write
    }
  };

  const processor = async (job: Job, token?: string): Promise<TrainJobResult> => {
    const parsed = TrainJobData.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`job ${job.id} has invalid data: expected {runId, sweepId}`);
    const { runId } = parsed.data;
    const dir = runDirOf(opts.workspace, runId);
    if (!existsSync(join(dir, 'config.json')))
      throw new UnrecoverableError(
        `run ${runId} is not in this worker's workspace ${opts.workspace}: every worker must mount the shared workspace`,
      );
    const rec = readQueueRecord(dir);
    if (rec && rec.jobId !== job.id) {
      await job.log(`superseded by job ${rec.jobId} of the same run: nothing to do`);
      return { outcome: 'stopped', step: 0, totalSteps: 0, worker: id };
    }
    const resume = latestCheckpointName(dir) !== null;
    const a: Active = { runId, handle: null, lost: false };
    active.set(job.id!, a);
    const jlog = (line: string) => void job.log(redact(line, opts.address.secrets)).catch(() => {});
    jlog(
      `worker ${id} (backend ${backend}) takes run ${runId}${resume ? ' from its last checkpoint' : ''} (attempt ${job.attemptsMade + 1} of ${JOB_ATTEMPTS})`,
    );
    say(`job ${job.id}: run ${runId}${resume ? ' (resuming)' : ''}`);
    const progress = setInterval(() => {
      const s = readStatus(dir);
      if (!s) return;
      const p: TrainJobProgress = {
        step: s.step,
        totalSteps: s.totalSteps,
        phase: s.phase,
        worker: id,
        host,
        backend,
        ...(s.last ? { last: s.last } : {}),
      };
      job.updateProgress(p as unknown as Record<string, unknown>).catch(() => {});
    }, 1000);
    const done: { v: { outcome: 'finished' | 'stopped' | 'failed'; message: string | null } | null } = { v: null };
    const tail: string[] = [];
    const exit = await new Promise<{ code: number | null; signal: string | null }>((resolveExit) => {
      a.handle = launcher.spawn(`trainer-${runId}`, {
        onMessage: (m) => {
          if (m.type === 'ready')
            a.handle!.send({
              type: 'start',
              job: {
                kind: 'train',
                workspace: opts.workspace,
                runId,
                resume,
                backend,
                controlFile: controlPath(dir),
                leaseChecks: true,
                probe: true,
              },
            });
          else if (m.type === 'started')
            jlog(`trainer pid ${a.handle?.pid ?? '?'} started on ${host}, backend ${m.backend}`);
          else if (m.type === 'log') jlog(m.line);
          else if (m.type === 'lease')
            void holdsLock(job, token).then((ok) => {
              if (!ok) jlog('lock lost before a checkpoint: the trainer stops without writing');
              a.handle?.send({ type: 'lease', id: m.id, ok: ok && !a.lost });
            });
          else if (m.type === 'done') done.v = { outcome: m.outcome, message: m.message };
        },
        onProtocolError: (why) => jlog(`protocol error, trainer killed: ${why}`),
        onLine: (_s, line) => {
          tail.push(line);
          if (tail.length > 20) tail.shift();
          jlog(line);
        },
        onExit: (code, signal) => resolveExit({ code, signal }),
      });
      // A SIGTERM that arrived while the trainer was starting.
      if (shuttingDown) a.handle.send({ type: 'stop' });
    });
    clearInterval(progress);
    active.delete(job.id!);
    const s = readStatus(dir);
    const step = s?.step ?? 0;
    const totalSteps = s?.totalSteps ?? 0;
    const out = done.v;
    if (a.lost) throw new Error(`worker ${id} lost the job's lock; the trainer was killed`);
    if (out?.outcome === 'finished') {
      say(`job ${job.id}: run ${runId} finished at step ${step}`);
      return { outcome: 'finished', step, totalSteps, worker: id };
    }
    if (out?.outcome === 'stopped') {
      const control = controlPath(dir);
      if (existsSync(control)) {
        const what = readFileSync(control, 'utf8').trim() === 'stop' ? 'stopped' : 'paused';
        rmSync(control, { force: true });
        jlog(`run ${what} at step ${step} on request; resume enqueues it again`);
        return { outcome: what, step, totalSteps, worker: id };
      }
      if (shuttingDown && (await holdsLock(job, token))) {
        if (s)
          writeStatus(dir, {
            ...s,
            state: 'queued',
            pid: null,
            message: `released by worker ${id} (shutdown) at step ${step}`,
          });
        jlog(`worker ${id} shuts down: checkpointed at step ${step}, job released to the queue`);
        await job.moveToDelayed(Date.now(), token);
        throw new DelayedError();
      }
    }
    const how = exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`;
    const detail = out?.message ?? tail.filter((l) => /error|Error|killed|memory/.test(l)).at(-1) ?? tail.at(-1) ?? '';
    throw new Error(
      out?.outcome === 'failed'
        ? (out.message ?? 'training failed')
        : `trainer ${how} at step ${step}${detail ? ` (${detail.slice(0, 300)})` : ''}`,
    );
  };

  const worker = new Worker(TRAIN_QUEUE, processor, {
    connection: opts.address.connection,
    concurrency: opts.concurrency,
    name: id,
    lockDuration: opts.lockDurationMs ?? 30_000,
    stalledInterval: opts.stalledIntervalMs ?? 30_000,
    // A job whose worker died is handed on; after JOB_ATTEMPTS stalls it fails instead of looping.
    maxStalledCount: JOB_ATTEMPTS - 1,
  });
  worker.on('lockRenewalFailed', (ids: string[]) => {
    for (const jobId of ids) {
      const a = active.get(jobId);
      if (!a) continue;
      a.lost = true;
      say(`job ${jobId}: lock renewal failed; killing the trainer of run ${a.runId} (another worker may own it now)`);
      a.handle?.kill();
    }
  });
  worker.on('failed', (job, err) => {
    if (!job || err instanceof DelayedError || err.name === 'DelayedError') return;
    const parsed = TrainJobData.safeParse(job.data);
    if (!parsed.success) return;
    const dir = runDirOf(opts.workspace, parsed.data.runId);
    if (readQueueRecord(dir)?.jobId !== job.id || !existsSync(join(dir, 'config.json'))) return;
    const final = job.attemptsMade >= JOB_ATTEMPTS || err instanceof UnrecoverableError;
    const s = readStatus(dir);
    const message = redact(err.message, opts.address.secrets);
    writeStatus(dir, {
      state: final ? 'failed' : 'queued',
      phase: s?.phase ?? null,
      step: s?.step ?? 0,
      totalSteps: s?.totalSteps ?? 0,
      pid: null,
      backend: s?.backend ?? null,
      message: final
        ? `failed ${job.attemptsMade} times: ${message}`
        : `attempt ${job.attemptsMade} failed (${message}); retrying from the last checkpoint`,
      ...(s?.last ? { last: s.last } : {}),
    });
    say(`job ${job.id}: ${final ? 'failed' : 'will retry'}: ${message}`);
  });
  worker.on('error', (e) => say(`queue error: ${e.message}`));

  const heartbeat = async () => {
    const info = {
      id,
      host,
      pid: process.pid,
      backend,
      concurrency: opts.concurrency,
      runs: [...active.values()].map((a) => a.runId),
      load: loadavg()[0],
      cpus: cpus().length,
      updated: new Date().toISOString(),
    };
    await client.set(WORKER_KEY_PREFIX + id, JSON.stringify(info), 'EX', Math.ceil((3 * HEARTBEAT_MS) / 1000));
  };
  const beat = setInterval(() => heartbeat().catch(() => {}), HEARTBEAT_MS);
  await heartbeat().catch(() => {});
  await worker.waitUntilReady();

  return {
    id,
    backend,
    async close() {
      if (shuttingDown) return;
      shuttingDown = true;
      clearInterval(beat);
      const closing = worker.close();
      for (const a of active.values()) a.handle?.send({ type: 'stop' });
      await closing;
      await client.del(WORKER_KEY_PREFIX + id).catch(() => {});
      await queue.close();
      client.disconnect();
    },
  };
}
