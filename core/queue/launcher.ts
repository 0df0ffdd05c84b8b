import { rmSync, writeFileSync } from 'node:fs';
import type { FromWorker, ToWorker } from '../trainer/protocol.ts';
import type { WorkerCallbacks, WorkerHandle, WorkerLauncher } from '../trainer/launcher.ts';
import { runDirOf } from '../runs/run-dir.ts';
import { redact, type QueueAddress } from './connection.ts';
import { controlPath, enqueueRun, openQueue, type TrainJobProgress, type TrainJobResult } from './jobs.ts';

/**
 * The host's WorkerLauncher when the workspace has a queue (`oneiro serve --queue`): "spawning" a
 * trainer enqueues a job, and the job's life in BullMQ (active, logs, completed, failed) is played
 * back to the service as the trainer protocol, so RunService treats a remote run like a local one.
 * Progress itself comes from the run folder in the shared workspace, as for local runs. Pause and
 * stop write the run's control file, which the remote trainer polls; a job still waiting is removed.
 */
export interface QueueLauncher extends WorkerLauncher {
  readonly display: string;
  close(): Promise<void>;
}

const POLL_MS = 500;

export function queueLauncher(address: QueueAddress, workspace: string): QueueLauncher {
  const queue = openQueue(address);
  const polls = new Set<NodeJS.Timeout>();
  return {
    kind: 'queue',
    display: address.display,
    spawn(name: string, cb: WorkerCallbacks): WorkerHandle {
      const runId = name.replace(/^trainer-/, '');
      const dir = runDirOf(workspace, runId);
      let jobId: string | null = null;
      let started = false;
      let exited = false;
      let logOffset = 0;
      let busy = false;
      let timer: NodeJS.Timeout | null = null;
      const say = (m: FromWorker) => cb.onMessage(m);
      const exit = (code: number | null) => {
        if (exited) return;
        exited = true;
        if (timer) {
          clearInterval(timer);
          polls.delete(timer);
        }
        cb.onExit(code, null);
      };
      const poll = async () => {
        if (busy || exited || !jobId) return;
        busy = true;
        try {
          const job = await queue.getJob(jobId);
          if (!job) {
            cb.onLine('stderr', `job ${jobId} is no longer in the queue`);
            return exit(null);
          }
          const logs = await queue.getJobLogs(jobId, logOffset, -1, true);
          for (const l of logs.logs) cb.onLine('stdout', l);
          logOffset += logs.logs.length;
          const state = await job.getState();
          if (state === 'active' && !started) {
            started = true;
            const p = job.progress as Partial<TrainJobProgress> | number;
            say({ type: 'started', backend: (typeof p === 'object' && p.backend) || 'remote' });
          } else if (state === 'completed') {
            const r = job.returnvalue as TrainJobResult | null;
            say({ type: 'done', outcome: r?.outcome === 'finished' ? 'finished' : 'stopped', message: null });
            exit(0);
          } else if (state === 'failed') {
            say({ type: 'done', outcome: 'failed', message: job.failedReason ?? 'the job failed' });
            exit(1);
          }
        } catch (e) {
          // Redis restarting: keep polling, the job is persisted (appendonly).
          cb.onLine('stderr', `queue: ${redact((e as Error).message, address.secrets)}`);
        } finally {
          busy = false;
        }
      };
      const halt = async (intent: 'pause' | 'stop') => {
        try {
          writeFileSync(controlPath(dir), intent);
        } catch (e) {
          cb.onLine('stderr', `could not write ${controlPath(dir)}: ${(e as Error).message}`);
        }
        if (!jobId) return;
        const job = await queue.getJob(jobId);
        const state = job ? await job.getState() : null;
        if (job && (state === 'waiting' || state === 'delayed' || state === 'prioritized')) {
          await job.remove();
          rmSync(controlPath(dir), { force: true });
          say({ type: 'done', outcome: 'stopped', message: null });
          exit(0);
        }
      };
      setImmediate(() => say({ type: 'ready', pid: 0 }));
      return {
        pid: undefined,
        send(msg: ToWorker) {
          if (exited) return;
          if (msg.type === 'start' && msg.job.kind === 'train') {
            enqueueRun(queue, workspace, runId).then(
              (rec) => {
                jobId = rec.jobId;
                cb.onLine('stdout', `enqueued as job ${rec.jobId} on ${address.display}`);
                timer = setInterval(() => void poll(), POLL_MS);
                polls.add(timer);
              },
              (e: Error) => {
                cb.onLine('stderr', `could not enqueue: ${redact(e.message, address.secrets)}`);
                exit(1);
              },
            );
          } else if (msg.type === 'pause' || msg.type === 'stop') void halt(msg.type);
        },
        kill() {
          void halt('stop');
        },
      };
    },
    async close() {
      for (const t of polls) clearInterval(t);
      polls.clear();
      await queue.close();
    },
  };
}
