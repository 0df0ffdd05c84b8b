import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { collectWorkspace } from '../../integration/world-models-fixture.ts';
import { createRun, trainRun } from '../../../core/runs/trainer.ts';
import { readMetrics } from '../../../core/runs/metrics.ts';
import { readStatus } from '../../../core/runs/run-dir.ts';
import { loadCheckpoint } from '../../../core/runs/checkpoints.ts';

// Tiny world-models runs (debug preset, few steps) exercising the shared run machinery.
const small = {
  vae: { steps: 8, batch: 8 },
  rnn: { steps: 8, batch: 4, seqLen: 8, hidden: 16 },
  controller: { enabled: false },
};
const { workspace, dataset } = collectWorkspace({ env: 'cartpole-swingup', episodes: 3, size: 32, maxSteps: 30 });

async function losses(dir: string): Promise<number[]> {
  return readMetrics(dir)
    .filter((m) => typeof m['vae/loss'] === 'number' || typeof m['rnn/loss'] === 'number')
    .map((m) => (m['vae/loss'] ?? m['rnn/loss']) as number);
}

test('resume after a kill reproduces the uninterrupted losses', async () => {
  const a = await createRun({
    workspace,
    family: 'world-models',
    preset: 'debug',
    dataset,
    overrides: small,
    train: { logEvery: 1, checkpointEvery: 4 },
  });
  const full = await trainRun(a.dir);
  assert.equal(full.state, 'completed');
  const b = await createRun({
    workspace,
    family: 'world-models',
    preset: 'debug',
    dataset,
    overrides: small,
    train: { logEvery: 1, checkpointEvery: 4 },
  });
  const ctrl = new AbortController();
  const stopped = await trainRun(b.dir, {
    signal: ctrl.signal,
    checkpointOnStop: false,
    onMetrics: (m) => {
      if (m.step === 11) ctrl.abort();
    },
  });
  assert.equal(stopped.state, 'paused');
  assert.equal(loadCheckpoint(b.dir)!.meta.globalStep, 8);
  const resumed = await trainRun(b.dir);
  assert.equal(resumed.state, 'completed');
  assert.deepEqual(await losses(b.dir), await losses(a.dir));
});

test('divergence guard: K non-finite steps in a row stop the run as failed, checkpoint intact', async () => {
  const r = await createRun({
    workspace,
    family: 'world-models',
    preset: 'debug',
    dataset,
    overrides: small,
    train: { logEvery: 1, checkpointEvery: 2, maxBadSteps: 3 },
  });
  const res = await trainRun(r.dir, { poisonSteps: [3, 4, 5] });
  assert.equal(res.state, 'failed');
  assert.match(res.message!, /diverged: 3 steps in a row/);
  assert.equal(readStatus(r.dir)!.state, 'failed');
  const ck = loadCheckpoint(r.dir)!;
  assert.equal(ck.meta.globalStep, 2);
  for (const t of Object.values(ck.tensors)) assert.ok((t.dataSync() as Float32Array).every(Number.isFinite));
  tf.dispose(Object.values(ck.tensors));
  const skipped = readMetrics(r.dir).filter((m) => m['vae/skipped'] === 1);
  assert.equal(skipped.length, 3);
});

test('no tensor leak across training steps', async () => {
  const r = await createRun({
    workspace,
    family: 'world-models',
    preset: 'debug',
    dataset,
    overrides: small,
    train: { logEvery: 1, checkpointEvery: 100 },
  });
  const counts: number[] = [];
  await trainRun(r.dir, {
    onStep: (s) => {
      if (s.phase === 'vae' && s.step >= 2) counts.push(tf.memory().numTensors);
    },
  });
  assert.ok(counts.length >= 5);
  assert.equal(Math.max(...counts), Math.min(...counts), `numTensors ${counts}`);
});
