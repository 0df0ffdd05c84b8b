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
import type { FromWorker, Job } from './protocol.ts';

interface Port {
  send(msg: FromWorker): void;
  onMessage(cb: (raw: unknown) => void): void;
}

function connect(): Port {
  const pp = (process as unknown as { parentPort?: { on(ev: 'message', cb: (e: { data: unknown }) => void): void; postMessage(m: unknown): void } }).parentPort;
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
      onStep: () => {
        if (!job.controlFile || controller.signal.aborted) return;
        const now = performance.now();
        if (now - lastCheck < 100) return;
        lastCheck = now;
        if (existsSync(job.controlFile)) controller.abort();
      },
    });
    if (r.state === 'finished') done('finished', null);
    else if (r.state === 'failed') done('failed', r.message ?? 'training failed');
    else done('stopped', r.message ?? null);
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
  } else if (msg.type === 'pause' || msg.type === 'stop') {
    controller.abort();
  }
  // 'resume' is a new worker (see the header); an old one ignores it.
});

port.send({ type: 'ready', pid: process.pid });
