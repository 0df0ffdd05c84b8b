import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../core/tensor/backend.ts';
import { makeEnv } from '../../core/envs/registry.ts';
import { randomPolicy } from '../../core/agents/random-agents.ts';
import { rolloutEpisode } from '../../core/agents/rollout.ts';
import { Rng } from '../../core/util/rng.ts';
import { createRun, trainRun } from '../../core/runs/trainer.ts';
import { readMetrics } from '../../core/runs/metrics.ts';
import { loadNewestIntactCheckpoint } from '../../core/runs/checkpoints.ts';
import { openRunModel } from '../../core/runs/load.ts';
import { evaluateModel } from '../../core/runs/evaluate.ts';
import type { TrainData } from '../../core/models/family.ts';
import { objectGraphFamily } from '../../core/models/object-graph/family.ts';

// The object-graph family through the shared run machinery: exact resume (parameters, Adam moments and the
// batch-norm running statistics), flat tensor counts, and `oneiro eval`'s ranking metrics.
before(async () => {
  await initBackend();
});

function shapesData(n: number, steps = 10): TrainData {
  const env = makeEnv('shapes-2d', { size: 50, maxSteps: steps });
  const eps = Array.from(
    { length: n },
    (_, i) => rolloutEpisode(env, randomPolicy(env.actionSpace, new Rng(i)), 100 + i).episode,
  );
  return {
    dataset: 'mem',
    env: 'shapes-2d',
    actionSpace: env.actionSpace,
    imageSize: 50,
    train: eps.slice(4),
    heldOut: eps.slice(0, 4),
  };
}

const lossesOf = (dir: string) => readMetrics(dir).map((m) => [m.step, m['model/loss'], m['model/negative']]);

test(
  'object-graph resume after a stop gives the same losses and the same final tensors',
  { timeout: 240_000 },
  async () => {
    const ws = mkdtempSync(join(tmpdir(), 'oneiro-og-runs-'));
    try {
      const data = shapesData(10);
      const opts = {
        workspace: ws,
        family: 'object-graph',
        preset: 'debug',
        dataset: null,
        env: 'shapes-2d',
        steps: 10,
        seed: 5,
        train: { checkpointEvery: 100, logEvery: 1 },
      };
      const a = await createRun({ ...opts, id: 'a' });
      assert.equal((await trainRun(a.dir, { data, log: () => {}, tensorboard: false })).state, 'completed');
      const b = await createRun({ ...opts, id: 'b' });
      const ctrl = new AbortController();
      await trainRun(b.dir, {
        data,
        signal: ctrl.signal,
        log: () => {},
        tensorboard: false,
        onStep: (s) => {
          if (s.globalStep === 5) ctrl.abort();
        },
      });
      assert.equal((await trainRun(b.dir, { data, log: () => {}, tensorboard: false })).state, 'completed');
      const la = lossesOf(a.dir);
      assert.equal(la.length, 10);
      assert.deepEqual(lossesOf(b.dir), la, 'metrics after resume equal the uninterrupted run');
      const ca = loadNewestIntactCheckpoint(a.dir, () => {})!;
      const cb = loadNewestIntactCheckpoint(b.dir, () => {})!;
      assert.ok(ca.tensors['stats/ext/bn1/mean'], 'batch-norm running statistics are checkpointed');
      assert.deepEqual(Object.keys(cb.tensors).sort(), Object.keys(ca.tensors).sort());
      for (const k of Object.keys(ca.tensors))
        assert.deepEqual(Array.from(cb.tensors[k].dataSync()), Array.from(ca.tensors[k].dataSync()), `tensor ${k}`);
      tf.dispose([...Object.values(ca.tensors), ...Object.values(cb.tensors)]);
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  },
);

test('object-graph training steps and evaluation keep tf.memory().numTensors flat', { timeout: 120_000 }, async () => {
  const data = shapesData(8);
  const config = objectGraphFamily.resolveConfig('debug');
  const ctx = { config, seed: 1, data, runDir: null, log: () => {} };
  const session = await objectGraphFamily.createSession(ctx);
  const step = (i: number) =>
    session.step({
      phase: 'model',
      step: i,
      globalStep: i,
      rng: new Rng(i),
      poison: false,
      signal: new AbortController().signal,
    });
  await step(0);
  const before = tf.memory().numTensors;
  for (let i = 1; i < 4; i++) assert.ok((await step(i)).applied);
  assert.equal(tf.memory().numTensors, before, 'training steps');
  const ck = session.checkpoint();
  const model = await objectGraphFamily.loadModel(ctx, ck);
  const loaded = tf.memory().numTensors;
  await model.evaluate(data.heldOut, { seed: 0, trainEpisodes: data.train });
  model.filterFeatures(data.heldOut[0]);
  assert.equal(tf.memory().numTensors, loaded, 'evaluation');
  model.dispose();
  session.dispose();
});

test(
  'oneiro eval of an object-graph run: Hits@1 and MRR at 1, 5, 10 steps against random ranking, no pixel measures',
  { timeout: 120_000 },
  async () => {
    const ws = mkdtempSync(join(tmpdir(), 'oneiro-og-eval-'));
    try {
      const data = shapesData(10);
      const run = await createRun({
        workspace: ws,
        family: 'object-graph',
        preset: 'debug',
        dataset: null,
        env: 'shapes-2d',
        steps: 3,
        train: { checkpointEvery: 100 },
      });
      await trainRun(run.dir, { data, log: () => {}, tensorboard: false });
      const opened = await openRunModel(run.dir, { data });
      try {
        assert.equal(opened.model.openloop, undefined, 'an object-graph model decodes no pixels');
        const r = await evaluateModel(opened.model, data, { seed: 0 });
        for (const k of [1, 5, 10])
          for (const name of [`hits_at_1@${k}`, `mrr@${k}`]) {
            const m = r.metrics[name];
            assert.ok(m, `${name} reported`);
            assert.equal(m.lower_is_better, false);
            assert.ok(m.model >= 0 && m.model <= 100, `${name} in %`);
            assert.deepEqual(Object.keys(m.baselines!).sort(), ['copy-state', 'random-ranking']);
          }
        // 4 held-out episodes: a random ranking puts the true state first with probability 1/4.
        assert.equal(r.metrics['hits_at_1@1'].baselines!['random-ranking'], 25);
        assert.ok(!Object.keys(r.metrics).some((k) => k.startsWith('openloop_')), 'no pixel measures');
        assert.ok(r.notes.some((n) => n.includes('decodes no pixels')));
      } finally {
        opened.model.dispose();
      }
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  },
);
