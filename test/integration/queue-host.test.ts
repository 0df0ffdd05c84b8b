import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createDirectClient } from '../../core/contract/direct.ts';
import type { WorkbenchClient } from '../../core/contract/client.ts';
import type { MetricPoint } from '../../core/contract/channels.ts';
import { readQueueRecord } from '../../core/queue/jobs.ts';
import { queueSettingPath } from '../../core/queue/settings.ts';
import { readStatus, runDirOf } from '../../core/runs/run-dir.ts';
import { createWorkbenchService, type WorkbenchService } from '../../core/service/service.ts';
import { forkLauncher } from '../../core/trainer/launcher.ts';
import { collectWorkspace } from './world-models-fixture.ts';
import { freePort, startRedis, type TestRedis } from './redis-helpers.ts';

// The host side of the queue through the contract (queue:get/set/workers, sweeps:list/get) against a
// real, password-protected redis-server on loopback, with a separate `oneiro worker` process and a sweep
// enqueued by a separate `oneiro sweep` process, which the host then pauses, stops and streams.
const BIN = new URL('../../bin/oneiro.mjs', import.meta.url).pathname;
const PASSWORD = `pw-${randomBytes(8).toString('hex')}`;

const { workspace: ws, dataset } = collectWorkspace({ env: 'cartpole-swingup', episodes: 4, size: 32, maxSteps: 40 });
let redis: TestRedis;
let url: string;
let service: WorkbenchService;
let client: WorkbenchClient;
let worker: ChildProcess | null = null;
const replies: unknown[] = [];
const outputs: string[] = [];

async function waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 120_000): Promise<NonNullable<T>> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Every reply is kept, to grep for the password at the end. */
async function call<T>(p: Promise<T>): Promise<T> {
  try {
    const r = await p;
    replies.push(r);
    return r;
  } catch (e) {
    replies.push({ error: (e as Error).message });
    throw e;
  }
}

/** Files under `dir` whose bytes contain `secret`. */
function filesHolding(dir: string, secret: string): string[] {
  const hits: string[] = [];
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) hits.push(...filesHolding(p, secret));
    else if (readFileSync(p).includes(secret)) hits.push(p);
  }
  return hits;
}

before(async () => {
  redis = await startRedis({ args: ['--requirepass', PASSWORD], cliArgs: ['-a', PASSWORD, '--no-auth-warning'] });
  url = `redis://:${PASSWORD}@127.0.0.1:${redis.port}`;
  // An empty environment: the password reaches the host only through queue:set.
  service = createWorkbenchService({
    workspace: ws,
    host: 'direct',
    launcher: forkLauncher(),
    env: {},
    dreamsIn: 'host',
  });
  client = createDirectClient(service.api, service.events);
});

after(async () => {
  if (worker && worker.exitCode === null) worker.kill('SIGKILL');
  await service?.close();
  await redis?.stop();
  rmSync(ws, { recursive: true, force: true });
});

test('queue:set connects and disconnects; errors and replies never carry the password', async () => {
  const none = await call(client.queueSettings());
  assert.equal(none.url, null);
  assert.equal(none.connected, false);
  await assert.rejects(
    call(client.setQueue({ url: `http://:${PASSWORD}@127.0.0.1:1` })),
    (e: Error & { code?: string; field?: string }) => {
      assert.equal(e.code, 'invalid_request');
      assert.equal(e.field, 'payload.url');
      assert.match(e.message, /scheme 'http:' is not supported/);
      return true;
    },
  );
  const deadPort = await freePort();
  await assert.rejects(
    call(client.setQueue({ url: `redis://:${PASSWORD}@127.0.0.1:${deadPort}` })),
    (e: Error & { code?: string }) => {
      assert.equal(e.code, 'conflict');
      assert.match(e.message, new RegExp(`cannot reach the job queue at redis://127\\.0\\.0\\.1:${deadPort}/0`));
      return true;
    },
  );
  assert.equal((await call(client.queueSettings())).connected, false, 'a failed connect leaves the host as it was');

  const on = await call(client.setQueue({ url }));
  assert.deepEqual(on, {
    url: `redis://127.0.0.1:${redis.port}/0`,
    connected: true,
    error: null,
    password: 'memory',
    tls: false,
  });
  const saved = JSON.parse(readFileSync(queueSettingPath(ws), 'utf8')) as { url: string };
  assert.equal(saved.url, `redis://127.0.0.1:${redis.port}/0`, 'the setting is persisted without the password');
  assert.deepEqual(filesHolding(ws, PASSWORD), [], 'no file of the workspace holds the password while connected');
  assert.deepEqual(await call(client.queueWorkers()), []);
});

test('queue:workers lists a worker process with its host, backend, load and concurrency', async () => {
  worker = spawn(process.execPath, [BIN, 'worker', '--queue', url, '--workspace', ws, '--concurrency', '1', '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const s of [worker.stdout!, worker.stderr!]) s.on('data', (d: Buffer) => outputs.push(d.toString('utf8')));
  const list = await waitFor('the worker heartbeat', async () => {
    const l = await call(client.queueWorkers());
    return l.length ? l : null;
  });
  assert.equal(list.length, 1);
  assert.equal(list[0].id, `${list[0].host}:${worker.pid}`);
  assert.equal(list[0].concurrency, 1);
  assert.ok(list[0].backend.length > 0);
  assert.ok(typeof list[0].load === 'number' && list[0].load >= 0);
});

test("a sweep enqueued by another process: the host lists it, streams a run's metrics, pauses it and stops a waiting one", async () => {
  const file = join(ws, 'host-sweep.json');
  writeFileSync(
    file,
    JSON.stringify({
      name: 'host',
      family: 'world-models',
      preset: 'debug',
      dataset,
      steps: 400,
      seeds: [0],
      grid: { 'vae.zDim': [8, 16] },
      overrides: { 'controller.enabled': false, 'vae.batch': 4, 'rnn.batch': 2, 'rnn.seqLen': 8 },
      train: { checkpointEvery: 5, logEvery: 1 },
    }),
  );
  const r = spawnSync(process.execPath, [BIN, 'sweep', file, '--queue', url, '--workspace', ws, '--json'], {
    encoding: 'utf8',
  });
  outputs.push(r.stdout, r.stderr);
  assert.equal(r.status, 0, r.stderr);
  const sweepId = (JSON.parse(r.stdout) as { sweep: string }).sweep;

  const list = await call(client.listSweeps());
  assert.deepEqual(
    list.map((s) => [s.id, s.runs, s.fields]),
    [[sweepId, 2, ['vae.zDim']]],
  );
  const [first, second] = (await call(client.getSweep({ sweepId }))).rows.map((row) => row.runId);

  // The worker (concurrency 1) takes the first run; the second waits in the queue.
  const points: MetricPoint[] = [];
  const unsub = client.onMetrics((m) => {
    if (m.runId === first) points.push(...m.points);
  });
  const running = await waitFor('the first run to train', async () => {
    const d = await call(client.getSweep({ sweepId }));
    const row = d.rows.find((x) => x.runId === first)!;
    return row.status === 'running' && row.job === 'active' ? d : null;
  });
  const row2 = running.rows.find((x) => x.runId === second)!;
  assert.equal(row2.status, 'queued');
  assert.equal(row2.job, 'waiting');
  assert.deepEqual(
    running.rows.map((x) => x.fields['vae.zDim']),
    [8, 16],
  );
  assert.equal(running.rows.find((x) => x.runId === first)!.worker?.endsWith(`:${worker!.pid}`), true);

  // Metrics of a run this host did not start arrive as events, from metrics.jsonl.
  await waitFor('metric events of the followed run', () => points.length >= 3);
  assert.ok(points.every((p, i) => i === 0 || p.step >= points[i - 1].step));

  // Stop the waiting run: its job is removed at once, the run is labelled stopped.
  const stopped = await call(client.stopRun({ runId: second }));
  assert.equal(stopped.status, 'stopped');
  const jobId2 = readQueueRecord(runDirOf(ws, second))!.jobId;
  assert.equal(
    await waitFor('the job to be gone', async () => {
      const d = await call(client.getSweep({ sweepId }));
      return d.rows.find((x) => x.runId === second)!.job === null ? 'gone' : null;
    }),
    'gone',
    `job ${jobId2} is removed from the queue`,
  );

  // Pause the running run through its control file: the remote trainer checkpoints and exits.
  const paused = await call(client.pauseRun({ runId: first }));
  unsub();
  assert.equal(paused.status, 'paused');
  const disk = readStatus(runDirOf(ws, first))!;
  assert.equal(disk.state, 'paused');
  assert.ok(disk.step > 0 && disk.step < 800, `paused mid-run at step ${disk.step}`);

  // Final measures: once this host evaluated the run (runs:eval), its sweep row carries them.
  const ev = await call(client.runEval({ runId: first }));
  const evRow = (await call(client.getSweep({ sweepId }))).rows.find((x) => x.runId === first)!;
  assert.equal(evRow.eval?.checkpointStep, ev.checkpointStep);
  assert.deepEqual(Object.keys(evRow.eval!.metrics).sort(), Object.keys(ev.metrics).sort());
  assert.ok(Object.keys(ev.metrics).length > 0);
  assert.equal((await call(client.getSweep({ sweepId }))).rows.find((x) => x.runId === second)!.eval, null);

  // With the queue connected, start (resume) enqueues a new job for a worker.
  const oldJob = readQueueRecord(runDirOf(ws, first))!.jobId;
  const resumed = await call(client.resumeRun({ runId: first }));
  assert.equal(resumed.status, 'queued');
  await waitFor('a new job for the resumed run', () => readQueueRecord(runDirOf(ws, first))!.jobId !== oldJob);
  await call(client.stopRun({ runId: first }));
});

test('queue:set null disconnects; nothing the host wrote or replied holds the password', async () => {
  const off = await call(client.setQueue({ url: null }));
  assert.deepEqual(off, { url: null, connected: false, error: null, password: 'none', tls: false });
  assert.deepEqual(await call(client.queueWorkers()), []);
  assert.equal((JSON.parse(readFileSync(queueSettingPath(ws), 'utf8')) as { url: unknown }).url, null);

  const hits: string[] = [];
  for (const [i, r] of replies.entries()) if (JSON.stringify(r).includes(PASSWORD)) hits.push(`reply ${i}`);
  hits.push(...filesHolding(ws, PASSWORD));
  for (const o of outputs) if (o.includes(PASSWORD) && !o.includes('"queue"')) hits.push('process output');
  assert.deepEqual(hits, []);
  assert.ok(replies.length > 10, `${replies.length} replies checked`);
});
