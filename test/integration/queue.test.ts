import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createRun, trainRun } from '../../core/runs/trainer.ts';
import { readMetrics } from '../../core/runs/metrics.ts';
import { readStatus, runDirOf } from '../../core/runs/run-dir.ts';
import { parseQueueUrl } from '../../core/queue/connection.ts';
import { enqueueRun, openQueue, readQueueRecord, type TrainQueue } from '../../core/queue/jobs.ts';
import { queueLauncher, type QueueLauncher } from '../../core/queue/launcher.ts';
import { sweepStatus } from '../../core/queue/sweep.ts';
import { createWorkbenchService, type WorkbenchService } from '../../core/service/service.ts';
import { forkLauncher } from '../../core/trainer/launcher.ts';
import { collectWorkspace } from './world-models-fixture.ts';
import { startRedis, type TestRedis } from './redis-helpers.ts';
import { Redis } from 'ioredis';

// Scale-out with a real Redis (password-protected, loopback, temp folder) and separate `oneiro worker`
// processes. Workers use a 3 s lock so a killed worker's job is handed on within seconds.
const BIN = new URL('../../bin/oneiro.mjs', import.meta.url).pathname;
const PASSWORD = `pw-${randomBytes(8).toString('hex')}`;
const LOCK_MS = '3000';

const { workspace: ws, dataset } = collectWorkspace({ env: 'cartpole-swingup', episodes: 4, size: 32, maxSteps: 40 });
/** A run long enough to be paused or killed mid-way (the debug preset's batch sizes, 30 + 30 steps). */
const LONG = { overrides: { vae: { steps: 30 }, rnn: { steps: 30 }, controller: { enabled: false } } };
const TRAIN = { logEvery: 1, checkpointEvery: 10 };

let redis: TestRedis;
let url: string;
let queue: TrainQueue;
const outputs: string[] = [];
const workers: { proc: ChildProcess; id: string; lines: string[] }[] = [];
let reference: number[] = [];

function losses(dir: string): number[] {
  return readMetrics(dir)
    .filter((m) => typeof m['vae/loss'] === 'number' || typeof m['rnn/loss'] === 'number')
    .map((m) => (m['vae/loss'] ?? m['rnn/loss']) as number);
}

async function waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 180_000, everyMs = 100): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function startWorker(): Promise<{ proc: ChildProcess; id: string; lines: string[] }> {
  const proc = spawn(process.execPath, [BIN, 'worker', '--queue', url, '--workspace', ws, '--json'], {
    env: { ...process.env, ONEIRO_QUEUE_LOCK_MS: LOCK_MS },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const w = { proc, id: '', lines };
  for (const s of [proc.stdout!, proc.stderr!])
    s.on('data', (d: Buffer) => {
      const text = d.toString('utf8');
      outputs.push(text);
      lines.push(...text.split('\n').filter(Boolean));
    });
  const ready = await waitFor('a worker to start', () => lines.find((l) => l.startsWith('{"worker"')), 60_000);
  w.id = (JSON.parse(ready!) as { worker: string }).worker;
  workers.push(w);
  return w;
}

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args, '--workspace', ws], { encoding: 'utf8' });
  outputs.push(r.stdout, r.stderr);
  return r;
}

async function newRun(): Promise<string> {
  const r = await createRun({ workspace: ws, family: 'world-models', preset: 'debug', dataset, ...LONG, train: TRAIN });
  return r.id;
}

before(async () => {
  redis = await startRedis({ args: ['--requirepass', PASSWORD], cliArgs: ['-a', PASSWORD, '--no-auth-warning'] });
  url = `redis://:${PASSWORD}@127.0.0.1:${redis.port}`;
  queue = openQueue(parseQueueUrl(url));
  // The uninterrupted run every interrupted one is compared with (same config, same backend).
  const ref = await createRun({
    workspace: ws,
    family: 'world-models',
    preset: 'debug',
    dataset,
    ...LONG,
    train: TRAIN,
  });
  await trainRun(ref.dir, { tensorboard: false });
  reference = losses(ref.dir);
  rmSync(ref.dir, { recursive: true });
  await startWorker();
  await startWorker();
});

after(async () => {
  for (const w of workers) if (w.proc.exitCode === null) w.proc.kill('SIGKILL');
  await queue?.close();
  await redis?.stop();
  rmSync(ws, { recursive: true, force: true });
});

test('pause and resume a run trained by a queue worker, through the host service', async () => {
  const runLauncher: QueueLauncher = queueLauncher(parseQueueUrl(url), ws);
  const service: WorkbenchService = createWorkbenchService({
    workspace: ws,
    host: 'direct',
    launcher: forkLauncher(),
    runLauncher,
  });
  const events: string[] = [];
  service.events.subscribeAll((_e, p) => events.push(JSON.stringify(p)));
  try {
    const runId = await newRun();
    const started = service.runs.start({ runId });
    assert.equal(started.status, 'queued');
    await waitFor('the run to train on a worker', () => (readStatus(runDirOf(ws, runId))?.step ?? 0) >= 12);
    assert.equal(service.runs.summary(runId).status, 'running');
    const paused = await service.runs.pause({ runId });
    assert.equal(paused.status, 'paused');
    const at = readStatus(runDirOf(ws, runId))!.step;
    assert.ok(at > 0 && at < 60, `paused mid-run (step ${at})`);
    assert.equal(existsSync(join(runDirOf(ws, runId), 'control')), false, 'the control file is consumed');
    service.runs.resume({ runId });
    await waitFor('the resumed run to complete', () => service.runs.summary(runId).status === 'completed');
    assert.deepEqual(losses(runDirOf(ws, runId)), reference, 'pause + resume is exact');
    assert.ok(
      events.some((l) => /takes run .* from its last checkpoint/.test(l)),
      'worker logs reach the host',
    );
    outputs.push(...events);
  } finally {
    await service.close();
    await runLauncher.close();
  }
});

test('SIGKILL the worker mid-run: another worker resumes from the last checkpoint, losses as uninterrupted', async (t) => {
  const runId = await newRun();
  const dir = runDirOf(ws, runId);
  await enqueueRun(queue, ws, runId);
  const jobId = readQueueRecord(dir)!.jobId;
  // Kill once the first checkpoint (step 10) is written and training went on past it.
  await waitFor('step 12', () => readMetrics(dir).some((m) => m.step >= 12), 180_000, 20);
  const job = await queue.getJob(jobId);
  const holder = workers.find(
    (w) => w.id === (job!.progress as { worker?: string }).worker && w.proc.exitCode === null,
  )!;
  assert.ok(holder, 'the job reports the worker that trains it');
  const killedAt = Math.max(...readMetrics(dir).map((m) => m.step));
  holder.proc.kill('SIGKILL');
  await new Promise((r) => holder.proc.once('exit', r));
  await startWorker(); // keep two workers for the next test
  await waitFor('the job to complete elsewhere', async () =>
    (await queue.getJob(jobId))!.getState().then((s) => s === 'completed'),
  );
  const done = (await queue.getJob(jobId))!;
  assert.notEqual((done.returnvalue as { worker: string }).worker, holder.id);
  const logs = (await queue.getJobLogs(jobId)).logs;
  const resumed = logs.find((l) => /^resuming .* at .* step \d+ \((\d+)\/60\)/.test(l));
  assert.ok(resumed, logs.join('\n'));
  const resumeStep = Number(/\((\d+)\/60\)/.exec(resumed!)![1]);
  assert.ok(resumeStep >= 10 && resumeStep <= killedAt, `resumed at ${resumeStep}, killed at ${killedAt}`);
  const got = losses(dir);
  assert.equal(got.length, reference.length);
  assert.deepEqual(got.slice(resumeStep), reference.slice(resumeStep), 'losses after the resume point');
  assert.equal(readStatus(dir)!.state, 'completed');
  const fmt = (xs: number[], from: number) => xs.map((x, i) => `${from + i + 1}:${x.toFixed(4)}`).join(' ');
  t.diagnostic(
    `killed ${holder.id} at step ${killedAt}; ${(done.returnvalue as { worker: string }).worker} resumed at ${resumeStep}`,
  );
  t.diagnostic(
    `losses before the kill (steps ${resumeStep - 2}..${killedAt}): ${fmt(got.slice(resumeStep - 3, killedAt), resumeStep - 3)}`,
  );
  t.diagnostic(`after the resume: ${fmt(got.slice(resumeStep, resumeStep + 5), resumeStep)}`);
  t.diagnostic(`uninterrupted:    ${fmt(reference.slice(resumeStep, resumeStep + 5), resumeStep)}`);
  for (const l of logs) t.diagnostic(`job log: ${l}`);
});

test('SIGTERM: the worker checkpoints, releases the job and exits; another worker finishes it exactly', async () => {
  const runId = await newRun();
  const dir = runDirOf(ws, runId);
  await enqueueRun(queue, ws, runId);
  const jobId = readQueueRecord(dir)!.jobId;
  await waitFor('step 5', () => readMetrics(dir).some((m) => m.step >= 5), 180_000, 20);
  const job = await queue.getJob(jobId);
  const holder = workers.find(
    (w) => w.id === (job!.progress as { worker?: string }).worker && w.proc.exitCode === null,
  )!;
  assert.ok(holder, 'the job reports the worker that trains it');
  holder.proc.kill('SIGTERM');
  const code = await new Promise((r) => holder.proc.once('exit', r));
  assert.equal(code, 0);
  const released = readStatus(dir)!;
  assert.equal(released.state, 'queued');
  assert.match(released.message!, /released by worker .* \(shutdown\) at step (\d+)/);
  assert.ok(released.step > 0 && released.step < 60);
  assert.equal(released.step % 1, 0);
  await startWorker();
  await waitFor('the released job to complete', async () =>
    (await queue.getJob(jobId))!.getState().then((s) => s === 'completed'),
  );
  const logs = (await queue.getJobLogs(jobId)).logs;
  assert.ok(
    logs.some((l) => new RegExp(`^resuming .* \\(${released.step}/60\\)`).test(l)),
    logs.join('\n'),
  );
  assert.deepEqual(losses(dir), reference);
});

test('a worker that loses the job lock stops its trainer before any further checkpoint; the run still ends exact', async () => {
  const runId = await newRun();
  const dir = runDirOf(ws, runId);
  await enqueueRun(queue, ws, runId);
  const jobId = readQueueRecord(dir)!.jobId;
  await waitFor('step 3', () => readMetrics(dir).some((m) => m.step >= 3), 180_000, 20);
  const holder = (await queue.getJob(jobId))!.progress as { worker?: string };
  // What an expired lock looks like to the worker (a network partition longer than the lock).
  const admin = new Redis(parseQueueUrl(url).connection);
  await admin.del(`${queue.toKey(jobId)}:lock`);
  admin.disconnect();
  await waitFor('the job to complete', async () =>
    (await queue.getJob(jobId))!.getState().then((s) => s === 'completed'),
  );
  const logs = (await queue.getJobLogs(jobId)).logs;
  const stopped = logs.filter((l) => /lock lost before a checkpoint|stopped without writing/.test(l));
  const w = workers.find((x) => x.id === holder.worker)!;
  const killed = w.lines.some((l) => /lock renewal failed; killing the trainer/.test(l));
  assert.ok(stopped.length > 0 || killed, `the first trainer was stopped: ${logs.join('\n')}`);
  assert.deepEqual(losses(dir), reference);
});

test('a sweep of 6 debug jobs completes on two workers, through a Redis restart mid-sweep', async (t) => {
  const file = join(ws, 'six.json');
  writeFileSync(
    file,
    JSON.stringify({
      name: 'six',
      family: 'world-models',
      preset: 'debug',
      dataset,
      steps: 12,
      seeds: [0, 1],
      grid: { 'vae.zDim': [4, 8, 16] },
      overrides: { controller: { enabled: false }, vae: { batch: 8 }, rnn: { batch: 4, seqLen: 8, hidden: 16 } },
      train: { checkpointEvery: 6, logEvery: 2 },
    }),
  );
  const r = cli('sweep', file, '--queue', url, '--json');
  assert.equal(r.status, 0, r.stderr);
  const sweepId = (JSON.parse(r.stdout) as { sweep: string }).sweep;
  const status = () => sweepStatus(ws, sweepId, queue);
  await waitFor(
    'a first finished run',
    async () => (await status()).rows.some((x) => x.state === 'completed'),
    180_000,
    200,
  );
  const before = (await status()).rows.filter((x) => x.state !== 'completed').length;
  assert.ok(before >= 1, 'the restart happens mid-sweep');
  await redis.restart();
  const rows = (await waitFor(
    'all 6 runs to finish',
    async () => {
      const s = await status();
      return s.rows.every((x) => x.state === 'completed' && x.job === 'completed') ? s.rows : null;
    },
    300_000,
    500,
  ))!;
  assert.equal(rows.length, 6);
  assert.equal(
    new Set(rows.map((x) => x.worker)).size >= 2,
    true,
    `jobs spread over workers: ${rows.map((x) => x.worker)}`,
  );
  const table = cli('sweep', 'status', sweepId, '--queue', url);
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, /6 completed/);
  for (const l of table.stdout.trimEnd().split('\n')) t.diagnostic(l);
});

test('a job that fails 3 times is marked failed with its error', async () => {
  const doomed = collectWorkspace({ env: 'cartpole-swingup', episodes: 2, size: 32, maxSteps: 20, name: 'doomed' });
  void doomed;
  const r = await createRun({ workspace: ws, family: 'world-models', preset: 'debug', dataset, ...LONG, train: TRAIN });
  // Break the run: its dataset vanishes, so every attempt fails the same way.
  const cfg = JSON.parse(readFileSync(join(r.dir, 'config.json'), 'utf8'));
  cfg.source.dataset = 'vanished';
  writeFileSync(join(r.dir, 'config.json'), JSON.stringify(cfg));
  await enqueueRun(queue, ws, r.id);
  const jobId = readQueueRecord(r.dir)!.jobId;
  await waitFor(
    'the job to fail',
    async () => (await queue.getJob(jobId))!.getState().then((s) => s === 'failed'),
    120_000,
    200,
  );
  const job = (await queue.getJob(jobId))!;
  assert.equal(job.attemptsMade, 3);
  assert.match(job.failedReason, /vanished/);
  const st = await waitFor(
    'the failed status',
    () => (readStatus(r.dir)?.state === 'failed' ? readStatus(r.dir) : null),
    10_000,
  );
  assert.match(st!.message!, /^failed 3 times: .*vanished/);
});

test('the Redis password never appears in logs, configs, statuses, job logs or replies', async () => {
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (readFileSync(p).includes(PASSWORD)) hits.push(p);
    }
  };
  walk(ws);
  for (const o of outputs) if (o.includes(PASSWORD)) hits.push(`output: ${o.slice(0, 200)}`);
  const ids = await queue.getJobs(['completed', 'failed', 'waiting', 'active', 'delayed']);
  for (const j of ids) {
    if (JSON.stringify(j.toJSON()).includes(PASSWORD)) hits.push(`job ${j.id}`);
    for (const l of (await queue.getJobLogs(j.id!)).logs) if (l.includes(PASSWORD)) hits.push(`job log ${j.id}`);
  }
  assert.ok(outputs.join('').length > 1000, 'there was output to check');
  assert.deepEqual(hits, []);
});
