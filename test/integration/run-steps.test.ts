import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../core/tensor/backend.ts';
import { createRun, trainRun } from '../../core/runs/trainer.ts';
import { setRunSteps } from '../../core/runs/run-steps.ts';
import { latestCheckpointName, readCheckpointMeta } from '../../core/runs/checkpoints.ts';
import { readMetrics } from '../../core/runs/metrics.ts';
import { checkpointsDir, readRunConfig, readStatus, writeStatus } from '../../core/runs/run-dir.ts';
import { collectWorkspace } from './world-models-fixture.ts';

// `oneiro train --resume RUN --steps N` (core/runs/run-steps.ts): a run's budget grows through the family's own
// --steps mapping; K steps then K + M equal K + M straight, bit for bit; refusals write nothing.
process.env.ONEIRO_BACKEND ??= 'wasm';
let ws: { workspace: string; dataset: string };

before(async () => {
  await initBackend();
  ws = collectWorkspace({ env: 'car-racing', episodes: 4, size: 32, seed: 5, maxSteps: 40 });
});

after(() => rmSync(ws.workspace, { recursive: true, force: true }));

const rssm = (id: string, steps: number) =>
  createRun({
    workspace: ws.workspace,
    family: 'rssm',
    preset: 'debug',
    dataset: ws.dataset,
    seed: 3,
    steps,
    id,
    train: { checkpointEvery: 100, logEvery: 1 },
  });

const worldModels = (id: string, steps: number) =>
  createRun({
    workspace: ws.workspace,
    family: 'world-models',
    preset: 'debug',
    dataset: ws.dataset,
    seed: 1,
    steps,
    id,
    overrides: { controller: { enabled: false } },
    train: { checkpointEvery: 100, logEvery: 1 },
  });

const quiet = { log: () => {}, tensorboard: false };

/** The tensors of a run's latest checkpoint, as the bytes of its safetensors file (its header names no run). */
function latestTensors(dir: string): Buffer {
  const base = latestCheckpointName(dir);
  assert.ok(base, `${dir} has a checkpoint`);
  return readFileSync(join(checkpointsDir(dir), `${base}.safetensors`));
}

/** Every file of a run folder, by name, as bytes (a refusal must leave them all as they were). */
function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const f of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (f.isFile()) out.set(join(f.parentPath, f.name), readFileSync(join(f.parentPath, f.name)));
  }
  return out;
}

async function refused(dir: string, steps: number, message: RegExp): Promise<void> {
  const before = snapshot(dir);
  await assert.rejects(setRunSteps(dir, steps), (e: Error) => {
    assert.match(e.message, message);
    assert.equal(e.message.split('\n').length, 1, `one line: ${e.message}`);
    return true;
  });
  assert.deepEqual(snapshot(dir), before, 'a refusal leaves every file of the run byte-identical');
}

const losses = (dir: string, key: string) =>
  readMetrics(dir)
    .filter((m) => m[key] !== undefined)
    .map((m) => [m.step, m[key]]);

test('rssm: 4 steps, completed, extended to 6 = 6 steps straight, bit for bit; one metrics history', async () => {
  const a = await rssm('rssm-extended', 4);
  assert.equal((await trainRun(a.dir, quiet)).state, 'completed');
  assert.equal(readCheckpointMeta(a.dir, latestCheckpointName(a.dir)!).phase, 'done');
  const set = await setRunSteps(a.dir, 6);
  assert.deepEqual(set.phases, [{ phase: 'model', done: 4, from: 4, to: 6 }]);
  assert.equal((readRunConfig(a.dir).model as { train: { steps: number } }).train.steps, 6);
  const logs: string[] = [];
  const r = await trainRun(a.dir, { ...quiet, log: (m) => logs.push(m) });
  assert.deepEqual([r.state, r.step, r.totalSteps], ['completed', 6, 6]);
  assert.ok(
    logs.some((l) => /reopening rssm-extended at model step 4/.test(l)),
    logs.join(' | '),
  );
  const s = readStatus(a.dir)!;
  assert.deepEqual([s.state, s.step, s.totalSteps], ['completed', 6, 6]);

  const b = await rssm('rssm-straight', 6);
  assert.equal((await trainRun(b.dir, quiet)).state, 'completed');
  const la = losses(a.dir, 'model/model_loss');
  assert.deepEqual(
    la.map(([step]) => step),
    [1, 2, 3, 4, 5, 6],
    'each step logged once',
  );
  assert.deepEqual(la, losses(b.dir, 'model/model_loss'), 'losses equal the straight run');
  assert.ok(latestTensors(a.dir).equals(latestTensors(b.dir)), 'weights and optimiser state equal the straight run');

  // The same budget again: nothing to do, nothing written.
  const before = snapshot(a.dir);
  assert.equal((await setRunSteps(a.dir, 6)).changed, false);
  assert.deepEqual(snapshot(a.dir), before);
  assert.equal((await trainRun(a.dir, quiet)).step, 6);

  // A budget below the steps done, and one above the config's maximum.
  await refused(
    a.dir,
    5,
    /^run rssm-extended: phase 'model' has done 6 steps and steps 5 would set its budget to 5: expected a budget ≥ 6/,
  );
  await refused(a.dir, 1e9, /^invalid rssm config: train\.steps: 1000000000 is too large, expected at most 100000000$/);
});

test('rssm actor-critic: the end-of-run env score at the old budget does not change the extended run', async () => {
  // The behaviour is scored in the env when its phase ends (AgentSession.endPhase): an extended run did that at
  // step 2 too, a straight run did not; the weights must still be the straight run's.
  const make = (id: string, steps: number) =>
    createRun({
      workspace: ws.workspace,
      family: 'rssm',
      preset: 'debug',
      dataset: ws.dataset,
      seed: 4,
      steps,
      id,
      overrides: { behavior: 'actor-critic' },
      train: { checkpointEvery: 100, logEvery: 1 },
    });
  const a = await make('ac-extended', 2);
  assert.equal((await trainRun(a.dir, quiet)).state, 'completed');
  assert.ok(
    readMetrics(a.dir).some((m) => m['model/eval_return'] !== undefined && m.step === 2),
    'scored at step 2',
  );
  await setRunSteps(a.dir, 3);
  assert.equal((await trainRun(a.dir, quiet)).step, 3);
  const b = await make('ac-straight', 3);
  assert.equal((await trainRun(b.dir, quiet)).state, 'completed');
  assert.equal(losses(a.dir, 'model/actor_loss').length, 3);
  assert.deepEqual(losses(a.dir, 'model/actor_loss'), losses(b.dir, 'model/actor_loss'));
  assert.ok(latestTensors(a.dir).equals(latestTensors(b.dir)), 'model and behaviour equal the straight run');
});

test('CLI: --resume RUN --steps: a bad value is refused in one line, files untouched; a good one trains on', () => {
  const bin = new URL('../../bin/oneiro.mjs', import.meta.url).pathname;
  // The first test's run (completed at 6 steps); tests in a file run in order.
  const dir = join(ws.workspace, 'runs', 'rssm-extended');
  const before = snapshot(dir);
  for (const [value, message] of <[string, RegExp][]>[
    ['0', /invalid rssm config: train\.steps: Too small: expected number to be >=1/],
    ['-1', /--steps must be an integer >= 0, got '-1'/],
    ['x', /--steps must be an integer >= 0, got 'x'/],
    ['1e9', /invalid rssm config: train\.steps: 1000000000 is too large/],
    ['3', /phase 'model' has done 6 steps/],
  ]) {
    const r = spawnSync(
      process.execPath,
      [bin, 'train', '--resume', 'rssm-extended', `--steps=${value}`, '--workspace', ws.workspace],
      { encoding: 'utf8', env: { ...process.env, ONEIRO_TEST: '1', ONEIRO_BACKEND: 'wasm' } },
    );
    assert.equal(r.status, 2, `--steps ${value}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n').filter(Boolean);
    assert.equal(lines.length, 1, `--steps ${value}: ${r.stderr}`);
    assert.match(lines[0], message);
  }
  assert.deepEqual(snapshot(dir), before);
  // A good value: the budget line, then the run trains on to it.
  const r = spawnSync(
    process.execPath,
    [bin, 'train', '--resume', 'rssm-extended', '--steps', '7', '--workspace', ws.workspace],
    { encoding: 'utf8', env: { ...process.env, ONEIRO_TEST: '1', ONEIRO_BACKEND: 'wasm', ONEIRO_WASM_THREADS: '1' } },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^run rssm-extended: budget model 6 → 7$/m);
  assert.match(r.stdout, /^run rssm-extended: completed at step 7\/7$/m);
});

test('world-models: a run stopped at the VAE/RNN boundary grows both and equals the straight run', async () => {
  // Stopped during vae's last step: the stop is seen as the rnn phase begins, so the checkpoint sits at rnn step 0.
  const a = await worldModels('wm-extended', 3);
  const ctrl = new AbortController();
  const stopped = await trainRun(a.dir, {
    ...quiet,
    signal: ctrl.signal,
    onStep: (s) => {
      if (s.phase === 'vae' && s.step === 2) ctrl.abort();
    },
  });
  assert.deepEqual(readCheckpointMeta(a.dir, latestCheckpointName(a.dir)!).phase, 'rnn');
  assert.deepEqual([stopped.state, stopped.step], ['paused', 3]);
  assert.deepEqual((await setRunSteps(a.dir, 5)).phases, [
    { phase: 'vae', done: 3, from: 3, to: 5 },
    { phase: 'rnn', done: 0, from: 3, to: 5 },
  ]);
  const r = await trainRun(a.dir, quiet);
  assert.deepEqual([r.state, r.step, r.totalSteps], ['completed', 10, 10]);
  const b = await worldModels('wm-straight', 5);
  assert.equal((await trainRun(b.dir, quiet)).state, 'completed');
  assert.ok(latestTensors(a.dir).equals(latestTensors(b.dir)), 'VAE, MDN-RNN and optimisers equal the straight run');
  assert.deepEqual(losses(a.dir, 'rnn/loss'), losses(b.dir, 'rnn/loss'));
});

test('world-models: once the rnn has trained, the finished vae cannot grow (refused, files untouched)', async () => {
  const dir = join(ws.workspace, 'runs', 'wm-extended');
  await refused(
    dir,
    7,
    /^run wm-extended: phase 'vae' finished at 5 steps and phase 'rnn' trained after it, so steps 7 \(vae 7\) cannot apply: expected only 'rnn' to grow; train 'vae' longer in a new run \(M: oneiro train --from wm-extended --phase rnn --set rnn\.steps=N\)$/,
  );
  await refused(dir, 4, /^run wm-extended: phase 'vae' has done 5 steps and steps 4 would set its budget to 4/);
  assert.equal((await setRunSteps(dir, 5)).changed, false);
  // A run another process is training now (its pid alive: here the test runner's) is not changed under it.
  const status = readStatus(dir)!;
  writeStatus(dir, { ...status, state: 'running', pid: process.ppid });
  await refused(dir, 6, new RegExp(`^run wm-extended is training now \\(pid ${process.ppid}\\): stop it before`));
});
