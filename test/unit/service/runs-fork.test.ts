import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../../core/tensor/backend.ts';
import { createRun, trainRun } from '../../../core/runs/trainer.ts';
import { readRunConfig, readStatus, runDirOf, writeStatus } from '../../../core/runs/run-dir.ts';
import { RunService } from '../../../core/service/runs.ts';
import { EventHub } from '../../../core/service/events.ts';
import { createDispatcher } from '../../../core/contract/validate.ts';
import type { RunSummary } from '../../../core/contract/channels.ts';
import { collectWorkspace } from '../../integration/world-models-fixture.ts';
import { FakeLauncher } from './fake-launcher.ts';

// runs:fork (core/service/runs.ts fork → core/runs/seed-from.ts forkRun): from the workbench, a NEW World Models run
// seeded from a finished one at a later phase, created (not started) with `from` in its summary. forkRun's refusals
// come back as one-line invalid requests, a run being trained is refused, and a refusal writes no run folder.
process.env.ONEIRO_BACKEND ??= 'wasm';
let ws: { workspace: string; dataset: string };
let runs: RunService;
let launcher: FakeLauncher;
const statuses: RunSummary[] = [];
const SRC = 'wm-src';

before(async () => {
  await initBackend();
  ws = collectWorkspace({ env: 'cartpole-swingup', episodes: 4, size: 32, maxSteps: 20, seed: 3 });
  const src = await createRun({
    workspace: ws.workspace,
    family: 'world-models',
    preset: 'debug',
    dataset: ws.dataset,
    seed: 1,
    id: SRC,
    overrides: {
      vae: { steps: 3, batch: 4 },
      rnn: { steps: 3, batch: 2, seqLen: 4 },
      controller: { enabled: true, generations: 1, population: 4, rolloutsPerCandidate: 1, dreamLength: 5 },
    },
    train: { logEvery: 1, checkpointEvery: 100 },
  });
  assert.equal((await trainRun(src.dir, { log: () => {}, tensorboard: false })).state, 'completed');
  const events = new EventHub((why) => assert.fail(why));
  events.subscribe('onRunStatus', (s) => statuses.push(s));
  launcher = new FakeLauncher();
  runs = new RunService(ws.workspace, events, launcher);
});

after(async () => {
  await runs.close(100);
  rmSync(ws.workspace, { recursive: true, force: true });
});

const runIds = () => readdirSync(join(ws.workspace, 'runs')).sort();

test('runs:fork at controller: a new created run with `from`, its overrides in its config, announced, not started', async () => {
  const s = await runs.fork({
    runId: SRC,
    phase: 'controller',
    overrides: { 'controller.temperature': 1.3, 'controller.population': 6 },
    name: 'wm-hot',
  });
  assert.equal(s.id, 'wm-hot');
  assert.equal(s.status, 'created');
  assert.deepEqual(s.from, { run: SRC, phase: 'controller' });
  assert.equal(launcher.workers.length, 0, 'fork only creates; the caller starts it');
  assert.deepEqual(statuses.at(-1), s);
  const cfg = readRunConfig(runDirOf(ws.workspace, 'wm-hot'));
  const model = cfg.model as { controller: { temperature: number; population: number }; rnn: { steps: number } };
  assert.equal(model.controller.temperature, 1.3);
  assert.equal(model.controller.population, 6);
  assert.equal(cfg.source.from?.run, SRC);
  assert.equal(cfg.seed, 1, "the source run's seed by default");
  // The new run's first checkpoint is at its controller phase.
  assert.ok(s.lastCheckpoint, 'seeded with a checkpoint');
});

test('runs:fork at rnn with a larger M budget and a seed', async () => {
  const s = await runs.fork({ runId: SRC, phase: 'rnn', overrides: { 'rnn.steps': 6 }, seed: 4 });
  assert.deepEqual(s.from, { run: SRC, phase: 'rnn' });
  const cfg = readRunConfig(runDirOf(ws.workspace, s.id));
  assert.equal((cfg.model as { rnn: { steps: number } }).rnn.steps, 6);
  assert.equal(cfg.seed, 4);
});

/** The error a call of the service throws, as the host puts it on the wire (core/contract/validate.ts). */
async function refusal(p: () => Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p();
  } catch (e) {
    return e as { code: string; message: string };
  }
  assert.fail(`expected a refusal: ${String(p)}`);
}

test('refusals: one line each, invalid_request or conflict, no run folder written', async () => {
  await createRun({ workspace: ws.workspace, family: 'rssm', preset: 'debug', dataset: ws.dataset, id: 'an-rssm' });
  const before = runIds();
  // Thunks: a promise made before it is awaited would reject unhandled (the wasm backend throws on those).
  const cases: [() => Promise<unknown>, string, RegExp][] = [
    [
      () => runs.fork({ runId: 'an-rssm', phase: 'controller' }),
      'invalid_request',
      /only World Models runs can be continued/,
    ],
    [
      () => runs.fork({ runId: SRC, phase: 'vae' as 'rnn' }),
      'invalid_request',
      /--phase 'vae' is not a phase a run can start at: expected rnn .* or controller/,
    ],
    [
      () => runs.fork({ runId: SRC, phase: 'controller', overrides: { 'vae.steps': 99 } }),
      'invalid_request',
      /^vae\.steps: .* cannot apply: the new run takes V as trained/,
    ],
    [
      () => runs.fork({ runId: SRC, phase: 'rnn', overrides: { 'rnn.steps': 3 } }),
      'invalid_request',
      /expected rnn\.steps > 3/,
    ],
    [
      () => runs.fork({ runId: SRC, phase: 'controller', overrides: { '__proto__.polluted': 1 } }),
      'invalid_request',
      /__proto__/,
    ],
    [() => runs.fork({ runId: SRC, phase: 'controller', name: 'wm-hot' }), 'conflict', /already exists/],
    [() => runs.fork({ runId: 'nope', phase: 'controller' }), 'not_found', /no run 'nope'/],
  ];
  for (const [p, code, re] of cases) {
    const e = await refusal(p);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
  }
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.deepEqual(runIds(), before, 'no refusal wrote a run folder');
});

test('a run that is being trained now is refused (a live trainer may be writing its checkpoint)', async () => {
  const dir = runDirOf(ws.workspace, SRC);
  const was = readStatus(dir)!;
  writeStatus(dir, { ...was, state: 'running', pid: process.ppid }); // alive and not this process (isAlive treats its own pid as gone)
  try {
    const e = await refusal(() => runs.fork({ runId: SRC, phase: 'controller' }));
    assert.equal(e.code, 'conflict');
    assert.match(e.message, /^run wm-src is running: a run can be continued from once it has completed$/);
  } finally {
    writeStatus(dir, was);
  }
});

test('the host refuses a __proto__ override key in one line before the service sees it', async () => {
  const dispatch = createDispatcher({
    forkRun: () => assert.fail('the service must not see it'),
  } as never);
  const r = (await dispatch('runs:fork', { runId: SRC, phase: 'controller', overrides: { '__proto__.x': 1 } })) as {
    ok: boolean;
    error: { code: string; message: string };
  };
  assert.equal(r.ok, false);
  assert.equal(r.error.code, 'invalid_request');
  assert.match(
    r.error.message,
    /^runs:fork: payload\.overrides\.__proto__\.x: the reserved key '__proto__' is not allowed$/,
  );
});
