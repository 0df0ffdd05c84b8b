import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunService, toPoint } from '../../../core/service/runs.ts';
import { expandDotted } from '../../../core/util/safe-keys.ts';
import { EventHub } from '../../../core/service/events.ts';
import { createRun } from '../../../core/runs/trainer.ts';
import { readStatus, runDirOf, statusPath, writeStatus } from '../../../core/runs/run-dir.ts';
import { metricsPath } from '../../../core/runs/run-dir.ts';
import type { RunSummary, MetricPoint } from '../../../core/contract/channels.ts';
import { FakeLauncher } from './fake-launcher.ts';

// The host side of a run's lifecycle with scripted trainers: status mapping, crash detection, the
// pause/stop handshake (IPC message + control file), metric streaming from metrics.jsonl.

let ws: string;
let launcher: FakeLauncher;
let events: EventHub;
let runs: RunService;
let statuses: RunSummary[];
let metrics: MetricPoint[];

beforeEach(async () => {
  ws = mkdtempSync(join(tmpdir(), 'oneiro-runs-'));
  launcher = new FakeLauncher();
  events = new EventHub((why) => assert.fail(why));
  runs = new RunService(ws, events, launcher);
  statuses = [];
  metrics = [];
  events.subscribe('onRunStatus', (s) => statuses.push(s));
  events.subscribe('onMetrics', (m) => metrics.push(...m.points));
  // A real run folder (config + status) without a dataset read: the family validates the preset.
  await createRun({ workspace: ws, family: 'world-models', preset: 'debug', dataset: null, backend: 'cpu', id: 'r' });
});
afterEach(async () => {
  await runs.close(100);
  rmSync(ws, { recursive: true, force: true });
});

const dir = () => runDirOf(ws, 'r');
const disk = (state: 'running' | 'paused' | 'completed' | 'failed', step: number, message?: string) =>
  writeStatus(dir(), {
    state,
    phase: 'vae',
    step,
    totalSteps: 600,
    pid: 1,
    backend: 'cpu',
    ...(message ? { message } : {}),
  });

test('start: the trainer is told its job after it greets; "started" makes the run running', () => {
  assert.equal(runs.summary('r').status, 'created');
  const s = runs.start({ runId: 'r' });
  assert.equal(s.status, 'starting');
  const w = launcher.last();
  assert.equal(w.received.length, 0);
  w.say({ type: 'ready', pid: w.pid });
  const start = w.received[0];
  assert.ok(start.type === 'start' && start.job.kind === 'train');
  assert.equal(start.job.runId, 'r');
  assert.equal(start.job.resume, false);
  assert.ok(start.job.controlFile);
  // The workbench asks for the probe decoder after training (used when the model decodes no pixels).
  assert.equal(start.job.probe, true);
  w.say({ type: 'started', backend: 'cpu' });
  assert.equal(runs.summary('r').status, 'running');
  assert.throws(
    () => runs.start({ runId: 'r' }),
    (e: any) => e.code === 'conflict',
  );
  assert.ok(statuses.some((x) => x.status === 'running'));
});

test('a trainer that dies without "done" makes the run crashed, durably, with the reason', async () => {
  runs.start({ runId: 'r' });
  const w = launcher.last();
  w.say({ type: 'ready', pid: w.pid });
  w.say({ type: 'started', backend: 'cpu' });
  disk('running', 40);
  w.line('RangeError: out of memory while allocating a tensor');
  w.exit(null, 'SIGKILL');
  const s = runs.summary('r');
  assert.equal(s.status, 'crashed');
  assert.match(s.message!, /trainer killed by SIGKILL at step 40 \(RangeError: out of memory/);
  assert.match(s.message!, /no checkpoint had been written yet/);
  assert.equal(readStatus(dir())?.state, 'crashed', 'written to status.json');
  assert.equal(statuses.at(-1)?.status, 'crashed');
  assert.equal(runs.activeCount(), 0);
  // A crashed run resumes (a new trainer, told to resume when a checkpoint exists).
  assert.equal((await runs.resume({ runId: 'r' })).status, 'starting');
});

test('stop: IPC message and control file, then the trainer checkpoints and exits → stopped', async () => {
  runs.start({ runId: 'r' });
  const w = launcher.last();
  w.say({ type: 'ready', pid: w.pid });
  w.say({ type: 'started', backend: 'cpu' });
  const job = w.received[0] as { job: { controlFile: string } };
  const stopping = runs.stop({ runId: 'r' });
  assert.deepEqual(w.received.at(-1), { type: 'stop' });
  assert.equal(existsSync(job.job.controlFile), true, 'the control file asks a busy trainer to stop');
  disk('paused', 80, 'stopped by request'); // what core/runs writes when its signal aborts
  w.say({ type: 'done', outcome: 'stopped', message: 'stopped by request' });
  w.exit(0, null);
  const s = await stopping;
  assert.equal(s.status, 'stopped');
  assert.equal(s.step, 80);
  assert.equal(JSON.parse(readFileSync(statusPath(dir()), 'utf8')).state, 'stopped', 'status.json says stopped');
  assert.equal(existsSync(job.job.controlFile), false, 'the control file is removed');
  assert.equal((await runs.resume({ runId: 'r' })).status, 'starting');
});

test('pause → paused; finished → completed (and cannot be started again); failed stays failed', async () => {
  runs.start({ runId: 'r' });
  let w = launcher.last();
  w.say({ type: 'ready', pid: w.pid });
  const pausing = runs.pause({ runId: 'r' });
  assert.deepEqual(w.received.at(-1), { type: 'pause' });
  disk('paused', 10, 'stopped by request');
  w.say({ type: 'done', outcome: 'stopped', message: null });
  w.exit(0, null);
  assert.equal((await pausing).status, 'paused');
  // Stopping a paused run only relabels it.
  assert.equal((await runs.stop({ runId: 'r' })).status, 'stopped');
  // The disk says so explicitly in status.json (not through a message string).
  assert.equal(JSON.parse(readFileSync(statusPath(dir()), 'utf8')).state, 'stopped');

  await runs.resume({ runId: 'r' });
  w = launcher.last();
  w.say({ type: 'ready', pid: w.pid });
  disk('completed', 600);
  w.say({ type: 'done', outcome: 'finished', message: null });
  w.exit(0, null);
  assert.equal(runs.summary('r').status, 'completed');
  assert.throws(() => runs.start({ runId: 'r' }), /has completed/);

  disk('failed', 300, 'diverged: 5 steps in a row had a non-finite loss');
  assert.equal(runs.summary('r').status, 'failed');
  assert.match(runs.summary('r').message!, /diverged/);
  // A diverged run would diverge again at the same step: resume is refused, with or without steps.
  await assert.rejects(runs.resume({ runId: 'r' }), /run r is failed: only a paused, stopped or crashed run/);
  await assert.rejects(
    runs.resume({ runId: 'r', steps: 900 }),
    /run r is failed: only a paused, stopped, crashed or completed/,
  );
});

test('resume with steps: a completed run whose budget grows trains on; a shrink is refused and writes nothing', async () => {
  // A completed 4-step rssm run: its status and the checkpoint position a trainer leaves at the end ('done').
  const q = (
    await createRun({
      workspace: ws,
      family: 'rssm',
      preset: 'debug',
      dataset: null,
      backend: 'cpu',
      id: 'q',
      steps: 4,
    })
  ).dir;
  writeStatus(q, { state: 'completed', phase: 'done', step: 4, totalSteps: 4, pid: 1, backend: 'cpu' });
  const meta = { version: 1, phaseIndex: 1, phase: 'done', step: 0, globalStep: 4, family: 'rssm', runId: 'q' };
  writeFileSync(
    join(q, 'checkpoints', 'ckpt-00000004.json'),
    JSON.stringify({ ...meta, backend: 'cpu', saved: '', state: {} }),
  );
  writeFileSync(join(q, 'checkpoints', 'latest'), 'ckpt-00000004\n');
  const config = readFileSync(join(q, 'config.json'));
  await assert.rejects(
    runs.resume({ runId: 'q' }),
    /run q is completed: only a paused, stopped or crashed run can be resumed \(a completed one with a larger steps\)/,
  );
  await assert.rejects(runs.resume({ runId: 'q', steps: 3 }), /^UserError: run q: phase 'model' has done 4 steps/);
  assert.deepEqual(readFileSync(join(q, 'config.json')), config, 'a refusal leaves config.json as it was');
  await assert.rejects(runs.resume({ runId: 'q', steps: 4 }), /has completed all 4 steps/);
  const s = await runs.resume({ runId: 'q', steps: 6 });
  assert.equal(s.status, 'starting');
  assert.equal(JSON.parse(readFileSync(join(q, 'config.json'), 'utf8')).model.train.steps, 6);
  const w = launcher.last();
  w.say({ type: 'ready', pid: w.pid });
  const start = w.received[0];
  assert.ok(start.type === 'start' && start.job.kind === 'train');
  assert.deepEqual([start.job.runId, start.job.resume], ['q', true], 'the trainer resumes from the checkpoint');
});

test('a run left "running" on disk by an earlier host shows as crashed', () => {
  writeStatus(dir(), {
    state: 'running',
    phase: 'vae',
    step: 120,
    totalSteps: 600,
    pid: 2 ** 22 + 12345,
    backend: 'cpu',
  });
  const s = runs.summary('r');
  assert.equal(s.status, 'crashed');
  assert.match(s.message!, /no longer running/);
});

test('a run another live process is training shows as running and cannot be started twice', async () => {
  // Our parent stands in for another host's trainer: a live pid that is not ours.
  writeStatus(dir(), { state: 'running', phase: 'vae', step: 120, totalSteps: 600, pid: process.ppid, backend: 'cpu' });
  const s = runs.summary('r');
  assert.equal(s.status, 'running');
  assert.match(s.message!, /another process/);
  assert.throws(
    () => runs.start({ runId: 'r' }),
    (e: any) => e.code === 'conflict' && /another process/.test(e.message),
  );
  await assert.rejects(runs.resume({ runId: 'r' }), (e: any) => e.code === 'conflict');
  await assert.rejects(runs.resume({ runId: 'r', steps: 900 }), (e: any) => e.code === 'conflict');
  assert.equal(launcher.workers.length, 0);
});

test('metrics appended by the trainer stream as onMetrics and advance the step', async () => {
  runs.start({ runId: 'r' });
  const w = launcher.last();
  w.say({ type: 'ready', pid: w.pid });
  w.say({ type: 'started', backend: 'cpu' });
  const file = metricsPath(dir());
  appendFileSync(
    file,
    JSON.stringify({ step: 10, phase: 'vae', time: '2026-01-01T00:00:00Z', 'vae/loss': 3.5, fps: 100 }) + '\n',
  );
  appendFileSync(
    file,
    JSON.stringify({
      step: 20,
      phase: 'vae',
      time: '2026-01-01T00:00:01Z',
      'vae/loss': 2.5,
      reason: 'text is dropped',
    }) + '\n{"step": 30, "pha',
  );
  await new Promise((r) => setTimeout(r, 900));
  assert.deepEqual(
    metrics.map((p) => [p.step, p.values['vae/loss']]),
    [
      [10, 3.5],
      [20, 2.5],
    ],
    'the torn last line waits',
  );
  assert.equal(runs.summary('r').step, 20);
  assert.deepEqual(
    runs.metrics({ runId: 'r', since: 10, limit: 0 }).points.map((p) => p.step),
    [20],
  );
  w.exit(null, 'SIGKILL');
});

test('helpers: dotted overrides expand; metric records become points without text fields', () => {
  assert.deepEqual(
    JSON.parse(
      JSON.stringify(
        expandDotted({ 'vae.lr': 0.001, 'vae.steps': 10, 'rnn.hidden': 32, seed: 1 }, (m) => new Error(m)),
      ),
    ),
    { vae: { lr: 0.001, steps: 10 }, rnn: { hidden: 32 }, seed: 1 },
  );
  const p = toPoint({
    step: 5,
    phase: 'rnn',
    time: '2026-01-01T00:00:02.500Z',
    'rnn/nll': 1.25,
    reason: 'x',
    bad: Number.NaN,
  } as never);
  assert.deepEqual(p, {
    step: 5,
    time: Date.parse('2026-01-01T00:00:02.500Z') / 1000,
    phase: 'rnn',
    values: { 'rnn/nll': 1.25 },
  });
});
