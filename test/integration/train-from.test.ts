import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../core/tensor/backend.ts';
import { createRun, trainRun } from '../../core/runs/trainer.ts';
import { loadCheckpoint, type LoadedCheckpoint } from '../../core/runs/checkpoints.ts';
import { readMetrics } from '../../core/runs/metrics.ts';
import { readRunConfig, readStatus } from '../../core/runs/run-dir.ts';
import { oneiroInProcess } from './cli-in-process.ts';
import { collectWorkspace, TINY_CONTROLLER } from './world-models-fixture.ts';

// `oneiro train --from RUN --phase rnn|controller` (core/runs/seed-from.ts forkRun): a NEW run from a finished World
// Models run's last checkpoint. At controller: V and M bit for bit the source's, a fresh CMA-ES under the new
// settings. At rnn: M trained on equals M trained straight to the new budget, bit for bit. The source is only read;
// every refusal is one line, exit 2, and leaves no run folder.
process.env.ONEIRO_BACKEND ??= 'wasm';
let ws: { workspace: string; dataset: string };
const SRC = 'wm-src';
const overrides = (rnnSteps: number) => ({
  vae: { steps: 3, batch: 4 },
  rnn: { steps: rnnSteps, batch: 2, seqLen: 4 },
  controller: TINY_CONTROLLER,
});
const quiet = { log: () => {}, tensorboard: false };
const train = { logEvery: 1, checkpointEvery: 100 };
/** A debug World Models run of the workspace's dataset, seed 1, with M's budget `rnnSteps` (created, not trained). */
const wmRun = (id: string, rnnSteps: number) =>
  createRun({
    workspace: ws.workspace,
    family: 'world-models',
    preset: 'debug',
    dataset: ws.dataset,
    seed: 1,
    overrides: overrides(rnnSteps),
    id,
    train,
  });

before(async () => {
  await initBackend();
  ws = collectWorkspace({ env: 'cartpole-swingup', episodes: 4, size: 32, maxSteps: 20, seed: 3 });
  const src = await wmRun(SRC, 3);
  assert.equal((await trainRun(src.dir, quiet)).state, 'completed');
});

after(() => rmSync(ws.workspace, { recursive: true, force: true }));

const runsDir = () => join(ws.workspace, 'runs');
const runIds = () => readdirSync(runsDir()).sort();

/** Every file of a run folder, by name, as bytes. */
function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const f of readdirSync(dir, { recursive: true, withFileTypes: true }))
    if (f.isFile()) out.set(join(f.parentPath, f.name), readFileSync(join(f.parentPath, f.name)));
  return out;
}

const oneiro = (...args: string[]) => oneiroInProcess(ws.workspace, ...args);

/** Runs `oneiro train --from RUN …` that must create one run (RUN: an id or a run folder); returns its id. */
async function fork(from: string, ...args: string[]): Promise<{ id: string; stderr: string }> {
  const before = runIds();
  const r = await oneiro('train', '--from', from, ...args);
  assert.equal(r.code, 0, r.stderr.slice(-2000));
  const made = runIds().filter((id) => !before.includes(id));
  assert.equal(made.length, 1, `one new run: ${made}`);
  return { id: made[0], stderr: r.stderr };
}

const bytes = (t: tf.Tensor) => Buffer.from(t.dataSync().buffer);
const sameTensors = (a: LoadedCheckpoint, b: LoadedCheckpoint, prefix: string[]) => {
  const keys = Object.keys(a.tensors).filter((k) => prefix.some((p) => k.startsWith(p)));
  assert.ok(keys.length > 0, `tensors under ${prefix}`);
  assert.deepEqual(
    Object.keys(b.tensors)
      .filter((k) => prefix.some((p) => k.startsWith(p)))
      .sort(),
    keys.sort(),
  );
  return keys.filter((k) => !bytes(a.tensors[k]).equals(bytes(b.tensors[k])));
};
const VM = ['vae/', 'rnn/', 'opt/vae/', 'opt/rnn/'];

test('--phase controller: a new run with V and M bit for bit the source’s, a fresh CMA-ES under the new settings, the source untouched', async () => {
  const srcDir = join(runsDir(), SRC);
  const untouched = snapshot(srcDir);
  const src = loadCheckpoint(srcDir)!;
  const n0 = tf.memory().numTensors;
  const { id, stderr } = await fork(
    SRC,
    '--phase',
    'controller',
    '--set',
    'controller.temperature=1.5',
    '--set',
    'controller.population=6',
  );
  assert.equal(tf.memory().numTensors, n0, 'the fork and its training free their tensors');
  const dir = join(runsDir(), id);
  assert.match(
    stderr,
    new RegExp(`^run ${id} \\(world-models, from wm-src at its controller phase, backend \\w+\\) in `, 'm'),
  );
  assert.match(
    stderr,
    new RegExp(`^starting ${id} at controller step 0 \\(6/8\\) from run wm-src's ckpt-00000008$`, 'm'),
  );
  const cfg = readRunConfig(dir);
  const srcCfg = readRunConfig(srcDir);
  assert.deepEqual(cfg.source, {
    ...srcCfg.source,
    from: { run: SRC, phase: 'controller', checkpoint: 'ckpt-00000008' },
  });
  const model = cfg.model as { controller: { temperature: number; population: number } };
  assert.deepEqual([model.controller.temperature, model.controller.population], [1.5, 6]);
  assert.deepEqual(
    { ...(cfg.model as object), controller: null },
    { ...(srcCfg.model as object), controller: null },
    'only the controller block changed',
  );
  assert.equal(cfg.seed, srcCfg.seed, "the source's seed by default");
  const s = readStatus(dir)!;
  assert.deepEqual([s.state, s.step, s.totalSteps], ['completed', 8, 8]);
  const done = loadCheckpoint(dir)!;
  assert.deepEqual(sameTensors(src, done, VM), [], 'V, M and their Adam moments are the source’s, bit for bit');
  assert.equal(done.meta.state.rnnT, src.meta.state.rnnT);
  assert.equal(done.meta.state.vaeT, src.meta.state.vaeT);
  assert.equal((done.meta.state.cma as { generation: number }).generation, 2, 'two generations from a fresh start');
  assert.ok(
    !bytes(done.tensors['controller/theta']).equals(bytes(src.tensors['controller/theta'])),
    'a new controller',
  );
  // Only the controller phase ran in the new run.
  assert.deepEqual([...new Set(readMetrics(dir).map((m) => m.phase))], ['controller']);
  assert.deepEqual(snapshot(srcDir), untouched, 'every file of the source run is byte-identical');
  tf.dispose([...Object.values(src.tensors), ...Object.values(done.tensors)]);
});

test('--phase rnn --set rnn.steps=5: M trained on 2 steps equals M trained 5 straight, bit for bit; V the source’s', async () => {
  const srcDir = join(runsDir(), SRC);
  const untouched = snapshot(srcDir);
  // RUN named by its folder: the new run goes beside it.
  const { id } = await fork(srcDir, '--phase', 'rnn', '--set', 'rnn.steps=5');
  const dir = join(runsDir(), id);
  const straight = await wmRun('wm-straight', 5);
  assert.equal((await trainRun(straight.dir, quiet)).state, 'completed');
  const [src, done, ref] = [loadCheckpoint(srcDir)!, loadCheckpoint(dir)!, loadCheckpoint(straight.dir)!];
  assert.deepEqual(readRunConfig(dir).source.from, { run: SRC, phase: 'rnn', checkpoint: 'ckpt-00000008' });
  const s = readStatus(dir)!;
  assert.deepEqual([s.state, s.step, s.totalSteps], ['completed', 10, 10]);
  assert.deepEqual(sameTensors(src, done, ['vae/', 'opt/vae/']), [], 'V is the source’s');
  assert.ok(sameTensors(src, done, ['rnn/']).length > 0, 'M trained on');
  assert.deepEqual(sameTensors(ref, done, ['rnn/', 'opt/rnn/']), [], 'M and its Adam moments equal M trained straight');
  assert.deepEqual([done.meta.state.rnnT, ref.meta.state.rnnT], [5, 5]);
  const rnnLoss = (d: string) =>
    readMetrics(d).flatMap((m) => (m['rnn/loss'] === undefined ? [] : [[m.step, m['rnn/loss']]]));
  assert.deepEqual(
    rnnLoss(dir),
    rnnLoss(straight.dir).slice(3),
    'its 2 steps’ losses are steps 4 and 5 of the straight run',
  );
  assert.equal((done.meta.state.cma as { generation: number }).generation, 2, 'the controller searched afresh');
  assert.deepEqual(snapshot(srcDir), untouched);
  tf.dispose([src, done, ref].flatMap((c) => Object.values(c.tensors)));
});

test('refusals: one line naming the problem, exit 2, no run folder written', async () => {
  // An rssm run and a World Models run stopped in its vae phase, to name as RUN.
  await createRun({
    workspace: ws.workspace,
    family: 'rssm',
    preset: 'debug',
    dataset: ws.dataset,
    id: 'rssm-run',
  });
  const paused = await wmRun('wm-paused', 3);
  const ctrl = new AbortController();
  const stopped = await trainRun(paused.dir, {
    ...quiet,
    signal: ctrl.signal,
    onStep: (s) => {
      if (s.step === 1) ctrl.abort();
    },
  });
  assert.equal(stopped.state, 'paused');
  // A finished run whose config.json no longer says what its checkpoint trained (edited by hand).
  cpSync(join(runsDir(), SRC), join(runsDir(), 'wm-edited'), { recursive: true });
  const edited = JSON.parse(readFileSync(join(runsDir(), 'wm-edited', 'config.json'), 'utf8'));
  edited.id = 'wm-edited';
  edited.model.rnn.steps = 4;
  writeFileSync(join(runsDir(), 'wm-edited', 'config.json'), JSON.stringify(edited));
  const cases: [string[], RegExp][] = [
    [
      ['--from', 'wm-edited', '--phase', 'controller'],
      /run wm-edited: its checkpoint ckpt-00000008 \(8 steps\) does not match the budgets in its config\.json \(vae 3, rnn 4, controller 2\)/,
    ],
    [['--from', 'nope', '--phase', 'controller'], /^oneiro train: no run 'nope' in /],
    [['--from', 'rssm-run', '--phase', 'controller'], /run rssm-run is an rssm run: only World Models runs can be/],
    [['--from', 'wm-paused', '--phase', 'controller'], /run wm-paused stopped in its vae phase \(step 2\): finish it/],
    [['--from', SRC], /--from needs --phase: rnn .* or controller/],
    [
      ['--from', SRC, '--phase', 'vae'],
      /--phase 'vae' is not a phase a run can start at: expected rnn .* or controller/,
    ],
    [['--phase', 'rnn'], /--phase goes with --from RUN/],
    [
      ['--from', SRC, '--phase', 'controller', '--set', 'controller.enabled=false'],
      /--phase controller: the new run has no controller phase \(controller\.enabled false/,
    ],
    [['--from', SRC, '--resume', SRC, '--phase', 'rnn'], /--from cannot be combined with --resume/],
    [['--from', SRC, '--phase', 'rnn', '--steps', '9'], /--steps cannot be combined with --from: .*--set rnn\.steps=N/],
    [
      ['--from', SRC, '--phase', 'rnn'],
      /rnn\.steps is M's whole budget and M has done 3 steps in run wm-src: expected rnn\.steps > 3/,
    ],
    [
      ['--from', SRC, '--phase', 'rnn', '--set', 'rnn.steps=6', '--set', 'rnn.hidden=32'],
      /^oneiro train: rnn\.hidden: 64 → 32 cannot apply: it changes the shape of M's/,
    ],
    [
      ['--from', SRC, '--phase', 'rnn', '--set', 'rnn.steps=6', '--set', 'rnn.mixtures=3'],
      /rnn\.mixtures: 5 → 3 cannot apply/,
    ],
    [
      ['--from', SRC, '--phase', 'rnn', '--set', 'rnn.steps=6', '--set', 'rnn.doneHead=false'],
      /rnn\.doneHead: true → false cannot apply/,
    ],
    [
      ['--from', SRC, '--phase', 'controller', '--set', 'vae.zDim=16'],
      /vae\.zDim: 8 → 16 cannot apply: the new run takes V as trained/,
    ],
    [
      ['--from', SRC, '--phase', 'rnn', '--set', 'rnn.steps=6', '--set', 'vae.encChannels=[8,16,32]'],
      /vae\.encChannels: \[16,32,64\] → \[8,16,32\] cannot apply/,
    ],
    [
      ['--from', SRC, '--phase', 'controller', '--set', 'rnn.lr=0.01'],
      /rnn\.lr: 0\.003 → 0\.01 cannot apply at --phase controller: the new run takes M as trained/,
    ],
    [
      ['--from', SRC, '--phase', 'controller', '--set', 'controller.temprature=2'],
      /controller\.temprature: unknown field \(did you mean 'controller\.temperature'\?\)/,
    ],
  ];
  const before = runIds();
  const srcDir = join(runsDir(), SRC);
  const untouched = snapshot(srcDir);
  for (const [args, message] of cases) {
    const r = await oneiro('train', ...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.deepEqual(runIds(), before, `${args.join(' ')} wrote no run folder`);
  }
  assert.deepEqual(snapshot(srcDir), untouched);
});

test('through bin/oneiro.mjs: a refusal exits 2 with one line; `oneiro runs` shows where a run came from', () => {
  const bin = new URL('../../bin/oneiro.mjs', import.meta.url).pathname;
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [bin, ...args, '--workspace', ws.workspace], {
      encoding: 'utf8',
      env: { ...process.env, ONEIRO_TEST: '1', ONEIRO_BACKEND: 'wasm', ONEIRO_WASM_THREADS: '1' },
    });
  let r = cli('train', '--from', SRC, '--phase', 'controller', '--set', 'rnn.hidden=32');
  assert.equal(r.status, 2, r.stderr);
  assert.deepEqual(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /rnn\.hidden: 64 → 32 cannot apply at --phase controller/);
  r = cli('runs', '--json');
  assert.equal(r.status, 0, r.stderr);
  const listed = JSON.parse(r.stdout) as { id: string; from?: { run: string; phase: string } }[];
  const forks = listed.filter((x) => x.from).map((x) => x.from!.phase);
  assert.deepEqual(forks.sort(), ['controller', 'rnn']);
  assert.equal(listed.find((x) => x.id === SRC)!.from, undefined);
  r = cli('runs');
  assert.match(r.stdout, /FROM/);
  assert.match(r.stdout, /wm-src at controller/);
  r = cli('train', '--help');
  assert.match(r.stdout, /--from RUN --phase P/);
});
