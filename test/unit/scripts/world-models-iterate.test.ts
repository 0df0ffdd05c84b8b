// eval:world-models' iterative procedure (Ha & Schmidhuber 2018: collect with the controller, retrain M and C
// on the union): the controller's episodes land in the dataset with its own actions on tracks it is never
// scored on, and the next run starts from the last run's V, M and CMA-ES state.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { makeEnv } from '../../../core/envs/registry.ts';
import { addEpisode, createDataset, openDataset, readEpisode } from '../../../core/data/dataset.ts';
import { randomPolicy } from '../../../core/agents/random-agents.ts';
import { rolloutEpisode } from '../../../core/agents/rollout.ts';
import { LinearController } from '../../../core/agents/linear-controller.ts';
import { actionSpecOf, controllerSize } from '../../../core/models/controller-policy.ts';
import { createRun, trainRun } from '../../../core/runs/trainer.ts';
import { loadCheckpoint } from '../../../core/runs/checkpoints.ts';
import { openRunModel } from '../../../core/runs/load.ts';
import { Rng } from '../../../core/util/rng.ts';
import {
  collectEnvSeed,
  collectWithController,
  evalEnvSeed,
  iterationEnvSeed,
  iterationStepsOf,
} from '../../../scripts/world-models-iterate.ts';
import { seedRunFrom } from '../../../core/runs/seed-from.ts';
import { TINY_CONTROLLER } from '../../integration/world-models-fixture.ts';

before(async () => {
  await initBackend('cpu');
});

test('iterations collect on tracks of their own: never one the controller is scored on or the random data came from', () => {
  const scored = new Set<number>();
  const random = new Set<number>();
  const seeds = [0, 1, 2, 3, 9];
  for (const s of seeds)
    for (let e = 0; e < 1000; e++) {
      scored.add(evalEnvSeed(s) + e);
      random.add(collectEnvSeed(s, e));
    }
  const seen = new Set<number>();
  for (const s of seeds)
    for (const it of [2, 3, 5])
      for (const e of [0, 1, 499, 999]) {
        const x = iterationEnvSeed(s, it, e);
        assert.ok(!scored.has(x) && !random.has(x), `seed ${s} iteration ${it} episode ${e}: ${x}`);
        assert.ok(!seen.has(x), `env seed ${x} used twice`);
        seen.add(x);
      }
  assert.throws(() => iterationEnvSeed(0, 1, 0), /from the second on/);
  assert.throws(() => iterationEnvSeed(0, 2, 1000), /episode index must be in \[0, 1000\)/);
});

test('each seed is scored on tracks of its own: no scored track is shared between seeds', () => {
  const owner = new Map<number, number>();
  for (const s of [0, 1, 2, 3, 9])
    for (let e = 0; e < 1000; e++) {
      const track = evalEnvSeed(s) + e;
      assert.ok(!owner.has(track), `track ${track} scores seed ${s} and seed ${owner.get(track)}`);
      owner.set(track, s);
    }
});

test('the controller collects episodes as long as the dream it is trained in, unless told otherwise', () => {
  assert.equal(iterationStepsOf({ dreamSteps: 1000 }), 1000);
  assert.equal(iterationStepsOf({ dreamSteps: 1000, iterationSteps: 300 }), 300);
});

/** A workspace with a small cartpole dataset and a finished debug World Models run (no controller phase). */
async function trainedRun() {
  const workspace = mkdtempSync(join(tmpdir(), 'oneiro-wm-iterate-'));
  const env = makeEnv('cartpole-swingup', { size: 32, maxSteps: 20 });
  const space = env.actionSpace as { kind: 'box'; shape: number[]; low: number[]; high: number[] };
  const ds = createDataset(workspace, 'd', {
    env: 'cartpole-swingup',
    observationShape: [32, 32, 3],
    actionSpace: { kind: 'box', shape: space.shape, low: space.low, high: space.high },
    source: { kind: 'script', policy: 'random' },
  });
  for (let e = 0; e < 4; e++)
    addEpisode(ds, rolloutEpisode(env, randomPolicy(env.actionSpace, new Rng(e)), 100 + e).episode, { level: 1 });
  const overrides = {
    vae: { steps: 3, batch: 4 },
    rnn: { steps: 3, batch: 2, seqLen: 4 },
    controller: { enabled: false },
  };
  const run = await createRun({ workspace, family: 'world-models', preset: 'debug', dataset: 'd', seed: 1, overrides });
  const r = await trainRun(run.dir, { log: () => {}, tensorboard: false });
  assert.equal(r.state, 'completed');
  return { workspace, env, ds, run, overrides };
}

test('the controller collects into the dataset: its own mapped actions (+ clipped noise) on the iteration’s env seeds', async () => {
  const { workspace, env, ds, run } = await trainedRun();
  const opened = await openRunModel(run.dir);
  const wm = opened.model.latent!();
  const spec = actionSpecOf(env.actionSpace, 'cartpole-swingup');
  // Only a bias: a constant output tanh(0.5), mapped affinely onto cartpole's [−1, 1] force.
  const theta = new Array(controllerSize(8, 64, 1)).fill(0);
  theta[theta.length - 1] = 0.5;
  const n0 = tf.memory().numTensors;
  const got = collectWithController(ds, env, wm, new LinearController(theta, spec), {
    episodes: 2,
    noise: 0,
    seed: 7,
    iteration: 2,
    frameSize: 32,
  });
  assert.equal(tf.memory().numTensors, n0, 'tensors freed');
  const back = openDataset(workspace, 'd');
  assert.equal(back.meta.episodes.length, 6);
  assert.equal(got.frames, 2 * 21);
  for (const i of [4, 5]) {
    const ep = readEpisode(back, i);
    // The recorded start state is the iteration's env seed's (cartpole's start differs by seed; its frame may not).
    const first = env.reset(iterationEnvSeed(7, 2, i - 4)).state!;
    const state = ep.extra!.state.data as Float32Array;
    assert.deepEqual(Array.from(state.subarray(0, first.length)), Array.from(first), `episode ${i} on its env seed`);
    for (let t = 1; t < ep.imageShape[0]; t++) assert.ok(Math.abs(ep.action[t] - Math.tanh(0.5)) < 1e-6, `row ${t}`);
  }
  // With noise: the actions spread around the controller's, inside the box.
  collectWithController(ds, env, wm, new LinearController(theta, spec), {
    episodes: 1,
    noise: 0.5,
    seed: 7,
    iteration: 3,
    frameSize: 32,
  });
  const noisy = readEpisode(openDataset(workspace, 'd'), 6);
  const acts = Array.from(noisy.action.subarray(1));
  assert.ok(
    acts.some((a) => Math.abs(a - Math.tanh(0.5)) > 0.05),
    'noise moves the actions',
  );
  assert.ok(
    acts.every((a) => a >= -1 && a <= 1),
    'clipped to the box',
  );
  opened.model.dispose();
});

test('the next iteration starts from the last run: V kept, M trained further, CMA-ES state and optimiser counts carried', async () => {
  const { workspace, run, overrides } = await trainedRun();
  const last = loadCheckpoint(run.dir)!;
  const next = await createRun({
    workspace,
    family: 'world-models',
    preset: 'debug',
    dataset: 'd',
    seed: 1,
    overrides,
  });
  await seedRunFrom(run.dir, next.dir, 'iteration');
  const seeded = loadCheckpoint(next.dir)!;
  assert.deepEqual(
    [seeded.meta.phaseIndex, seeded.meta.phase, seeded.meta.step, seeded.meta.globalStep, seeded.meta.runId],
    [1, 'rnn', 0, 3, next.id],
  );
  assert.deepEqual(seeded.meta.state, last.meta.state);
  const r = await trainRun(next.dir, { log: () => {}, tensorboard: false });
  assert.equal(r.state, 'completed');
  const done = loadCheckpoint(next.dir)!;
  const same = (k: string) =>
    Buffer.from(done.tensors[k].dataSync().buffer).equals(Buffer.from(last.tensors[k].dataSync().buffer));
  const vaeKeys = Object.keys(last.tensors).filter((k) => k.startsWith('vae/'));
  const rnnKeys = Object.keys(last.tensors).filter((k) => k.startsWith('rnn/'));
  assert.ok(vaeKeys.length > 0 && vaeKeys.every(same), 'V is the last run’s, untouched');
  assert.ok(
    rnnKeys.some((k) => !same(k)),
    'M trained on',
  );
  assert.equal(done.meta.state.vaeT, last.meta.state.vaeT);
  assert.equal(Number(done.meta.state.rnnT), Number(last.meta.state.rnnT) + 3);
  // A run that has not finished cannot be continued.
  const fresh = await createRun({
    workspace,
    family: 'world-models',
    preset: 'debug',
    dataset: 'd',
    seed: 2,
    overrides,
  });
  await assert.rejects(seedRunFrom(fresh.dir, next.dir, 'iteration'), /no checkpoint to continue from/);
  for (const ck of [last, seeded, done]) tf.dispose(Object.values(ck.tensors));
});

test('a controller-only run starts from the last run at the controller phase: V and M kept untouched, CMA-ES fresh', async () => {
  const { workspace, run, overrides } = await trainedRun();
  const last = loadCheckpoint(run.dir)!;
  const controller = TINY_CONTROLLER;
  const controllerOnly = async (from: string, seed: number) => {
    const next = await createRun({
      workspace,
      family: 'world-models',
      preset: 'debug',
      dataset: 'd',
      seed,
      overrides: { ...overrides, controller },
    });
    await seedRunFrom(from, next.dir, 'controller');
    const seeded = loadCheckpoint(next.dir)!;
    assert.deepEqual(
      [seeded.meta.phaseIndex, seeded.meta.phase, seeded.meta.step, seeded.meta.globalStep],
      [2, 'controller', 0, 6],
    );
    assert.equal(seeded.meta.state.cma, null, 'no CMA-ES state: the search starts fresh');
    const r = await trainRun(next.dir, { log: () => {}, tensorboard: false });
    assert.equal(r.state, 'completed');
    tf.dispose(Object.values(seeded.tensors));
    return { dir: next.dir, done: loadCheckpoint(next.dir)! };
  };
  // Twice: the second starts from a run that has a CMA-ES state of its own, which must not carry over.
  const first = await controllerOnly(run.dir, 1);
  const second = await controllerOnly(first.dir, 2);
  for (const { done } of [first, second]) {
    const same = (k: string) =>
      Buffer.from(done.tensors[k].dataSync().buffer).equals(Buffer.from(last.tensors[k].dataSync().buffer));
    const vm = Object.keys(last.tensors).filter((k) => k.startsWith('vae/') || k.startsWith('rnn/'));
    assert.ok(vm.length > 0 && vm.every(same), 'V and M are the first run’s, untouched');
    assert.equal(Number(done.meta.state.rnnT), Number(last.meta.state.rnnT), 'no M step taken');
    assert.equal((done.meta.state.cma as { generation: number }).generation, 2, 'two generations from a fresh start');
    assert.equal(done.tensors['controller/theta'].size, controllerSize(8, 64, 1));
  }
  // A run without a controller phase is refused in one line.
  const none = await createRun({
    workspace,
    family: 'world-models',
    preset: 'debug',
    dataset: 'd',
    seed: 3,
    overrides,
  });
  await assert.rejects(seedRunFrom(run.dir, none.dir, 'controller'), /no controller phase/);
  for (const ck of [last, first.done, second.done]) tf.dispose(Object.values(ck.tensors));
});
