import { hostname } from 'node:os';
import { noPositionals, parseCommand, workspaceDir, intFlag } from '../args.ts';
import { parseQueueUrl, queueUrlFrom, QUEUE_ENV, QUEUE_PASSWORD_ENV, redact } from '../../queue/connection.ts';
// The queue worker (BullMQ, the trainer launcher, the backend: ≈ 0.7 CPU s to import through tsx) loads only once
// the flags are checked, so a refused command line answers at the CLI's floor cost.

export const summary = 'take training jobs from a Redis queue (BullMQ) and train them into the shared workspace';

const HELP = `usage: oneiro worker --queue redis://[user:password@]host:port [--concurrency N] [--workspace DIR]

Takes training jobs (from 'oneiro sweep', or a host started with 'oneiro serve --queue') and runs each
with the trainer as a child process. Every worker and the host must see the same workspace folder
(a shared mount: NFS, SMB, sshfs); runs, checkpoints and metrics are written there.

  --queue URL        redis:// or rediss:// (TLS); default $${QUEUE_ENV}. The password may instead be in
                     $${QUEUE_PASSWORD_ENV}; a private CA for TLS in $ONEIRO_QUEUE_CA (PEM file)
  --concurrency N    jobs trained at once on this machine (default 1)
  --backend B        tfjs backend for its trainers (default: the best available here)
  --workspace DIR  --json (one JSON line when ready)

SIGTERM or Ctrl-C: trainers checkpoint and the jobs go back to the queue for another worker.
A worker that dies (SIGKILL, power loss) loses its jobs' locks; another worker resumes them from
their last checkpoint. Redis must persist jobs across restarts: run it with 'appendonly yes'.`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('worker', argv, {
    queue: { type: 'string' },
    concurrency: { type: 'string' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  noPositionals('worker', positionals);
  const address = parseQueueUrl(queueUrlFrom(values.queue));
  // The trainers this worker starts inherit its environment: they never need the queue's secrets.
  delete process.env[QUEUE_ENV];
  delete process.env[QUEUE_PASSWORD_ENV];
  const concurrency = intFlag('concurrency', values.concurrency, 1, 1, 64);
  const workspace = workspaceDir(values.workspace);
  const lockMs = intFlag('ONEIRO_QUEUE_LOCK_MS', process.env.ONEIRO_QUEUE_LOCK_MS, 30_000, 1000);
  const log = (l: string) => console.error(`oneiro worker: ${redact(l, address.secrets)}`);
  const { startQueueWorker } = await import('../../queue/worker.ts');
  log(`connecting to ${address.display} (waits until the queue answers)`);
  const w = await startQueueWorker({
    address,
    workspace,
    concurrency,
    ...(values.backend ? { backend: values.backend } : {}),
    lockDurationMs: lockMs,
    stalledIntervalMs: lockMs,
    log,
  });
  const info = { worker: w.id, host: hostname(), backend: w.backend, queue: address.display, workspace, concurrency };
  if (values.json) console.log(JSON.stringify(info));
  else
    console.log(
      `oneiro worker ${w.id} on ${address.display}: backend ${w.backend}, concurrency ${concurrency}, workspace ${workspace}`,
    );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: trainers checkpoint and their jobs go back to the queue`);
    w.close().then(
      () => process.exit(0),
      (e: Error) => {
        log(`shutdown: ${e.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  await new Promise<never>(() => {});
  return 0;
}
