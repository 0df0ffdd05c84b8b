/**
 * World Models quality proofs (issue 4) on the debug preset, wasm, through the shared run machinery
 * (createRun / trainRun / evaluateRun, as `oneiro train` and `oneiro eval` call them), on a few thousand
 * frames of car-racing collected here with a brownian (smoothly wandering) policy. (cartpole-swingup at 32 px
 * was tried first: the cart and pole are a few pixels, the debug VAE stays at the mean frame.)
 */
import { after, before, test } from 'node:test';
import { rmSync } from 'node:fs';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../core/tensor/backend.ts';
import { createRun, trainRun, type TrainEvents } from '../../core/runs/trainer.ts';
import { evaluateRun } from '../../core/runs/evaluate.ts';
import { listCheckpoints, loadCheckpoint } from '../../core/runs/checkpoints.ts';
import { readMetrics, type MetricsRecord } from '../../core/runs/metrics.ts';
import { readStatus } from '../../core/runs/run-dir.ts';
import { collectWorkspace } from './world-models-fixture.ts';

process.env.ONEIRO_BACKEND ??= 'wasm';
let ws: { workspace: string; dataset: string };

before(async () => {
  await initBackend();
  // 12 episodes × 251 frames ≈ 3000 frames; the last 2 episodes are held out for evaluation.
  ws = collectWorkspace({ env: 'car-racing', episodes: 12, size: 32, seed: 7, policy: 'brownian', maxSteps: 250 });
});

after(() => rmSync(ws.workspace, { recursive: true, force: true }));

async function newRun(
  vaeSteps: number,
  rnnSteps: number,
  train: Record<string, number> = {},
  vae: Record<string, number | null> = {},
) {
  return createRun({
    workspace: ws.workspace,
    family: 'world-models',
    preset: 'debug',
    dataset: ws.dataset,
    seed: 1,
    overrides: { vae: { steps: vaeSteps, ...vae }, rnn: { steps: rnnSteps }, controller: { enabled: false } },
    train: { checkpointEvery: 100_000, logEvery: 1, ...train },
  });
}

const losses = (recs: MetricsRecord[]) =>
  recs
    .filter((r) => r['vae/loss'] !== undefined || r['rnn/loss'] !== undefined)
    .map((r) => ({ step: r.step, loss: (r['vae/loss'] ?? r['rnn/loss']) as number }));

test('quality: VAE recon ≤ 50% of the mean frame, MDN-RNN 5-step open-loop latent error below copy-last', async () => {
  const { dir } = await newRun(1500, 800, { logEvery: 100 });
  const t0 = performance.now();
  const res = await trainRun(dir);
  assert.equal(res.state, 'completed');
  const trainS = (performance.now() - t0) / 1000;
  const report = await evaluateRun(dir, { seed: 0 });
  const m = report.metrics;
  console.log(
    `world-models quality (car-racing 32px, ${report.episodes} held-out episodes, trained ${trainS.toFixed(0)} s):`,
  );
  for (const k of [
    'recon_mse',
    'rnn_nll',
    'openloop_latent@1',
    'openloop_latent@5',
    'openloop_latent@10',
    'openloop_mse@1',
    'openloop_mse@5',
    'openloop_mse@10',
    'openloop_mse@20',
  ]) {
    if (m[k])
      console.log(
        `  ${k}: model ${m[k].model.toFixed(5)} vs ${m[k].baseline_name} ${m[k].baseline.toFixed(5)} (ratio ${(m[k].model / m[k].baseline).toFixed(3)})`,
      );
  }
  assert.ok(report.episodes >= 1);
  assert.ok(
    m.recon_mse.model <= 0.5 * m.recon_mse.baseline,
    `recon_mse ${m.recon_mse.model} > 50% of mean-frame ${m.recon_mse.baseline}`,
  );
  const ol = m['openloop_latent@5'];
  assert.ok(ol, 'eval reports openloop_latent@5');
  assert.equal(ol.baseline_name, 'copy-last-latent');
  assert.ok(ol.model < ol.baseline, `5-step open-loop latent error ${ol.model} not below copy-last ${ol.baseline}`);
});

test('no tensor leak over 100 training steps of each phase (after warm-up)', async () => {
  const { dir } = await newRun(100, 100, { logEvery: 10 });
  const counts: Record<string, number[]> = { vae: [], rnn: [] };
  const res = await trainRun(dir, { onStep: (s) => counts[s.phase].push(tf.memory().numTensors) });
  assert.equal(res.state, 'completed');
  for (const [phase, c] of Object.entries(counts)) {
    assert.equal(c.length, 100);
    const after = c.slice(5);
    console.log(
      `tensor count during ${phase}: step 0 ${c[0]}, steps 5..99 min ${Math.min(...after)} max ${Math.max(...after)}`,
    );
    assert.equal(
      Math.max(...after),
      Math.min(...after),
      `${phase}: numTensors drifted ${Math.min(...after)} → ${Math.max(...after)}`,
    );
  }
});

test("resume after a kill reproduces the uninterrupted run's losses exactly (same seed)", async () => {
  const train = { checkpointEvery: 10 };
  const a = await newRun(30, 30, train);
  assert.equal((await trainRun(a.dir)).state, 'completed');
  const want = losses(readMetrics(a.dir));
  assert.equal(want.length, 60);

  const b = await newRun(30, 30, train);
  // Two kills without a final checkpoint (checkpointOnStop false): one mid-VAE (step 25 → resumes at 20),
  // one mid-RNN (step 47 → resumes at 40, re-encoding the episodes with the restored VAE).
  for (const killAt of [25, 47]) {
    const ctrl = new AbortController();
    const ev: TrainEvents = {
      signal: ctrl.signal,
      checkpointOnStop: false,
      onStep: (s) => {
        if (s.globalStep === killAt) ctrl.abort();
      },
    };
    const r = await trainRun(b.dir, ev);
    assert.equal(r.state, 'paused');
    assert.equal(r.step, killAt + 1);
  }
  const logs: string[] = [];
  const r = await trainRun(b.dir, { log: (m) => logs.push(m) });
  assert.equal(r.state, 'completed');
  assert.ok(
    logs.some((l) => /resuming .* at rnn step 10 \(40\/60\)/.test(l)),
    `resume log: ${logs.join(' | ')}`,
  );
  const got = losses(readMetrics(b.dir));
  assert.deepEqual(
    got.map((x) => x.step),
    want.map((x) => x.step),
    'metrics.jsonl holds each step once after resumes',
  );
  for (let i = 0; i < want.length; i++)
    assert.equal(
      got[i].loss,
      want[i].loss,
      `loss at step ${want[i].step}: resumed ${got[i].loss} vs uninterrupted ${want[i].loss}`,
    );
  console.log(
    `resume: ${want.length} losses identical after kills at steps 25 and 47 (e.g. step 41 ${want[40].loss.toFixed(4)}, step 60 ${want[59].loss.toFixed(4)})`,
  );
});

test('divergence guard: a non-finite step is skipped and logged; K in a row stop the run with its last good checkpoint intact', async () => {
  // One poisoned step: skipped, logged, training continues and finishes.
  const one = await newRun(20, 0, { checkpointEvery: 10 });
  const logs: string[] = [];
  const r1 = await trainRun(one.dir, { poisonSteps: [12], log: (m) => logs.push(m) });
  assert.equal(r1.state, 'completed');
  const skipped = readMetrics(one.dir).filter((x) => x['vae/skipped'] === 1);
  assert.equal(skipped.length, 1);
  assert.equal(skipped[0].step, 13);
  assert.match(String(skipped[0].reason), /non-finite/);
  assert.ok(
    logs.some((l) => /step 13 skipped/.test(l)),
    `log: ${logs.join(' | ')}`,
  );
  assert.ok(readMetrics(one.dir).every((x) => x['vae/loss'] === undefined || Number.isFinite(x['vae/loss'])));

  // K = maxBadSteps (5) poisoned steps in a row: the run fails with a clear message.
  const k = await newRun(40, 0, { checkpointEvery: 10, maxBadSteps: 5 });
  const r2 = await trainRun(k.dir, { poisonSteps: [23, 24, 25, 26, 27] });
  console.log(`divergence guard: state ${r2.state}, message: ${r2.message}`);
  assert.equal(r2.state, 'failed');
  assert.match(r2.message ?? '', /diverged: 5 steps in a row had a non-finite loss or gradient/);
  assert.match(r2.message ?? '', /last good checkpoint is intact/);
  assert.equal(readStatus(k.dir)?.state, 'failed');
  // Each of the K bad steps is in metrics.jsonl as skipped (the record a user reads after the failure).
  assert.equal(readMetrics(k.dir).filter((x) => x['vae/skipped'] === 1).length, 5);
  // The last good checkpoint (step 20) is the newest, loads, and holds finite weights.
  assert.deepEqual(
    listCheckpoints(k.dir)
      .map((c) => c.globalStep)
      .slice(-1),
    [20],
  );
  const ck = loadCheckpoint(k.dir)!;
  try {
    assert.equal(ck.meta.globalStep, 20);
    for (const [name, t] of Object.entries(ck.tensors))
      assert.ok(t.dataSync().every(Number.isFinite), `${name} has non-finite values`);
  } finally {
    tf.dispose(Object.values(ck.tensors));
  }
  // Resuming from it continues normally once the cause is gone.
  assert.equal((await trainRun(k.dir)).state, 'completed');

  // A real divergence, no hook: lr 1 (the largest the config allows) without gradient clipping blows
  // the weights up within a few steps; the following losses are non-finite, each is skipped, and the
  // 5th in a row stops the run.
  const blow = await newRun(40, 0, { maxBadSteps: 5 }, { lr: 1, clipNorm: null });
  const r3 = await trainRun(blow.dir);
  assert.equal(r3.state, 'failed');
  assert.match(r3.message ?? '', /diverged: 5 steps in a row .*non-finite loss/);
  const bad = readMetrics(blow.dir).filter((x) => x['vae/skipped'] === 1);
  assert.deepEqual(
    bad.map((x) => x['vae/bad_in_a_row']),
    [1, 2, 3, 4, 5],
  );
  console.log(`lr 1, no clipping: ${r3.state} at step ${r3.step}: ${bad.map((x) => x.reason).join(', ')}`);
});
