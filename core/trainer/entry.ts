/**
 * Worker process entry: a trainer (one run) or a collect job. Started by core/trainer/launcher.ts via
 * `child_process.fork` (web mode) or Electron's `utilityProcess` (desktop); speaks protocol.ts over
 * whichever channel it has. All durable progress goes to the run folder through core/runs, so a
 * SIGKILL at any moment leaves the last checkpoint intact and the host marks the run `crashed`.
 *
 * Pause and stop both finish the current step, write a checkpoint and exit (the runner's status
 * becomes 'paused'); resume is a new trainer that continues from that checkpoint. A paused run thus
 * holds no memory and no CPU, and resuming is exact (the runner's resume is deterministic).
 */
import { parseToWorker } from './protocol.ts';
import type { DreamMethod, FromWorker, Job } from './protocol.ts';

interface Port {
  send(msg: FromWorker): void;
  onMessage(cb: (raw: unknown) => void): void;
}

function connect(): Port {
  const pp = (
    process as unknown as {
      parentPort?: { on(ev: 'message', cb: (e: { data: unknown }) => void): void; postMessage(m: unknown): void };
    }
  ).parentPort;
  if (pp) return { send: (m) => pp.postMessage(m), onMessage: (cb) => pp.on('message', (e) => cb(e.data)) };
  if (!process.send) {
    console.error('oneiro trainer: no parent to talk to (start it through the workbench host, not directly)');
    process.exit(2);
  }
  // The host went away: nobody will read our progress or stop us, so stop now (the checkpoint stays).
  process.on('disconnect', () => process.exit(0));
  return { send: (m) => process.send!(m), onMessage: (cb) => process.on('message', cb) };
}

const port = connect();
const controller = new AbortController();
let started = false;
let finishing = false;
/** Set by a dream job: answers 'call' messages one at a time, in order. */
let dreamCall: ((id: number, method: DreamMethod, req: unknown) => Promise<void>) | null = null;
let callQueue: Promise<void> = Promise.resolve();
const leaseAnswers = new Map<number, (ok: boolean) => void>();
let leaseId = 0;
/** Asks the worker whether this trainer still holds the job (TrainJob.leaseChecks). */
function askLease(): Promise<boolean> {
  const id = ++leaseId;
  return new Promise((resolve) => {
    leaseAnswers.set(id, resolve);
    port.send({ type: 'lease', id });
  });
}

function done(outcome: 'finished' | 'stopped' | 'failed', message: string | null): void {
  finishing = true;
  port.send({ type: 'done', outcome, message });
  // Let the IPC message flush before exiting.
  setTimeout(() => process.exit(outcome === 'failed' ? 1 : 0), 50);
}

async function run(job: Job): Promise<void> {
  if (job.kind === 'train') {
    const { trainRun } = await import('../runs/trainer.ts');
    const { runDirOf } = await import('../runs/run-dir.ts');
    const { initBackend } = await import('../tensor/backend.ts');
    const backend = (await initBackend(job.backend)).name;
    port.send({ type: 'started', backend });
    const { existsSync } = await import('node:fs');
    let lastCheck = 0;
    const r = await trainRun(runDirOf(job.workspace, job.runId), {
      signal: controller.signal,
      backend,
      log: (line) => port.send({ type: 'log', line }),
      ...(job.leaseChecks ? { beforeCheckpoint: askLease } : {}),
      onStep: () => {
        if (!job.controlFile || controller.signal.aborted) return;
        const now = performance.now();
        if (now - lastCheck < 100) return;
        lastCheck = now;
        if (existsSync(job.controlFile)) controller.abort();
      },
    });
    if (r.state === 'completed' && job.probe) {
      // The run is complete and its checkpoint written; a failed probe leaves it so and is said in the log.
      const { trainProbeAfterRun } = await import('../runs/probe.ts');
      try {
        await trainProbeAfterRun(runDirOf(job.workspace, job.runId), {
          backend,
          log: (line) => port.send({ type: 'log', line }),
        });
      } catch (e) {
        port.send({
          type: 'log',
          line: `probe decoder not trained: ${String((e as Error)?.message ?? e).split('\n')[0]}`,
        });
      }
    }
    if (r.state === 'completed') done('finished', null);
    else if (r.state === 'failed') done('failed', r.message ?? 'training failed');
    else done('stopped', r.message ?? null);
    return;
  }
  if (job.kind === 'dream') {
    const { initBackend } = await import('../tensor/backend.ts');
    const { DreamService } = await import('../runs/dreams.ts');
    const backend = (await initBackend(job.backend)).name;
    const dreams = new DreamService(job.workspace);
    dreamCall = async (id, method, req) => {
      try {
        const value = await (dreams[method] as (r: unknown) => unknown).call(dreams, req);
        port.send({ type: 'reply', id, ok: true, value });
      } catch (e) {
        const err = e as { code?: unknown; message?: string; field?: unknown; name?: string };
        const code =
          typeof err.code === 'string' ? err.code : err.name === 'UserError' ? 'invalid_request' : 'internal';
        port.send({
          type: 'reply',
          id,
          ok: false,
          error: {
            code,
            message: String(err.message ?? e),
            ...(typeof err.field === 'string' ? { field: err.field } : {}),
          },
        });
      }
    };
    port.send({ type: 'started', backend });
    return; // serves calls until the host stops it
  }
  if (job.kind === 'probe') {
    const { initBackend } = await import('../tensor/backend.ts');
    const { openRunModel } = await import('../runs/load.ts');
    const { runDirOf } = await import('../runs/run-dir.ts');
    const { trainRunProbe } = await import('../runs/probe.ts');
    const backend = (await initBackend(job.backend)).name;
    port.send({ type: 'started', backend });
    const opened = await openRunModel(runDirOf(job.workspace, job.runId), {
      backend,
      warn: (line) => port.send({ type: 'log', line }),
    });
    try {
      const meta = await trainRunProbe(opened, job.steps ? { overrides: { steps: job.steps } } : {});
      port.send({
        type: 'log',
        line: `probe decoder trained: ${meta.config.steps} steps on ${meta.frames} frames, pixel MSE ${meta.loss.toFixed(5)}`,
      });
    } finally {
      opened.model.dispose();
    }
    done('finished', null);
    return;
  }
  if (job.kind === 'import') {
    const { importIntoDataset } = await import('../data/dataset-import.ts');
    port.send({ type: 'started', backend: 'none' });
    const { report, dataset } = importIntoDataset(job.workspace, job.dataset, job.source, { format: job.format });
    port.send({
      type: 'imported',
      imported: dataset ? report.episodes : 0,
      skipped: report.bad,
      converted: Object.entries(report.converted).map(([what, n]) => `${what} (${n} episodes)`),
    });
    done(
      dataset ? 'finished' : 'failed',
      dataset
        ? null
        : `no good episode in ${job.source}: ${
            report.bad
              .slice(0, 3)
              .map((b) => `${b.file}: ${b.reason}`)
              .join('; ') || 'the folder holds no episode files'
          }`,
    );
    return;
  }
  const { collectJob } = await import('./collect-job.ts');
  port.send({ type: 'started', backend: 'none' });
  await collectJob(job, controller.signal, (p) => port.send({ type: 'progress', ...p }));
  done(controller.signal.aborted ? 'stopped' : 'finished', null);
}

port.onMessage((raw) => {
  const r = parseToWorker(raw);
  if (!r.ok) {
    port.send({ type: 'log', line: `ignored: ${r.why}` });
    return;
  }
  const msg = r.msg;
  if (msg.type === 'start') {
    if (started) return;
    started = true;
    run(msg.job).catch((e: Error) => {
      if (!finishing) done('failed', (e?.message ?? String(e)).split('\n')[0].slice(0, 1000));
    });
  } else if (msg.type === 'call') {
    const call = dreamCall;
    if (!call)
      port.send({
        type: 'reply',
        id: msg.id,
        ok: false,
        error: { code: 'internal', message: 'this worker is not a dream server' },
      });
    else callQueue = callQueue.then(() => call(msg.id, msg.method, msg.req));
  } else if (msg.type === 'lease') {
    leaseAnswers.get(msg.id)?.(msg.ok);
    leaseAnswers.delete(msg.id);
  } else if (msg.type === 'pause' || msg.type === 'stop') {
    controller.abort();
    // A dream server has no loop to notice the signal: it just ends.
    if (dreamCall) done('stopped', null);
  }
  // 'resume' is a new worker (see the header); an old one ignores it.
});

port.send({ type: 'ready', pid: process.pid });
