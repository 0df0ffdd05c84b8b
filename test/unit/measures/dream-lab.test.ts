/**
 * The Dream Lab's and the Runs view's share of the measures, through the DreamService the dream worker runs:
 * dreams:openloop carries the mean-frame baseline (mean of the run's TRAINING episodes) and the foreground-weighted
 * per-step errors; runs:eval carries the eval report. Replies are checked against the contract schemas.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../../core/tensor/backend.ts';
import { makeEnv } from '../../../core/envs/registry.ts';
import { randomPolicy } from '../../../core/agents/random-agents.ts';
import { rolloutEpisode } from '../../../core/agents/rollout.ts';
import { addEpisode, createDataset } from '../../../core/data/dataset.ts';
import { seededEpisodeName } from '../../../core/data/episode-file.ts';
import { createRun, trainRun } from '../../../core/runs/trainer.ts';
import { loadTrainData } from '../../../core/runs/run-data.ts';
import { trainingMeanFrame } from '../../../core/runs/openloop-measures.ts';
import { foregroundMask, maskedSquaredError } from '../../../core/media/foreground.ts';
import { pixelMse } from '../../../core/media/frames.ts';
import { DreamService } from '../../../core/runs/dreams.ts';
import { CONTRACT } from '../../../core/contract/channels.ts';
import { Rng } from '../../../core/util/rng.ts';
import type { OpenLoopResult } from '../../../core/models/family.ts';
import * as tf from '@tensorflow/tfjs-core';
import { exportSourceOf } from '../../../renderer/src/lib/dream-kind.ts';

let ws: string;
let runId: string;

before(async () => {
  await initBackend();
  ws = mkdtempSync(join(tmpdir(), 'oneiro-dreamlab-'));
  const env = makeEnv('cartpole-swingup', { size: 32, maxSteps: 30 });
  const ds = createDataset(ws, 'cp', {
    env: 'cartpole-swingup',
    observationShape: [32, 32, 3],
    actionSpace: env.actionSpace as { kind: 'box'; shape: number[]; low: number[]; high: number[] },
    source: { kind: 'test' },
  });
  // Seeded names: the held-out split hashes file names, so random ones held out 1 or 2 of the 5 run to run.
  for (let i = 0; i < 5; i++) {
    const ep = rolloutEpisode(env, randomPolicy(env.actionSpace, new Rng(i)), 20 + i).episode;
    addEpisode(ds, ep, { file: seededEpisodeName(ep, 0, i) });
  }
  const run = await createRun({ workspace: ws, family: 'rssm', preset: 'debug', dataset: 'cp', steps: 2 });
  runId = run.id;
  const r = await trainRun(run.dir, { log: () => {} });
  assert.equal(r.state, 'completed');
});

after(() => rmSync(ws, { recursive: true, force: true }));

test('dreams:openloop: mean-frame and foreground-weighted curves against the training episodes mean frame', async () => {
  const dreams = new DreamService(ws);
  try {
    const reply = await dreams.openloop({ runId, episode: 4, start: 6, horizon: 12, context: 5, seed: 0 });
    CONTRACT['dreams:openloop'].reply.parse(reply);
    const T = reply.mse.length;
    const F = 32 * 32 * 3;
    const { train } = loadTrainData(ws, 'cp', 0.1);
    assert.equal(train.length, 4, 'the held-out episode is not part of the mean');
    const mean = trainingMeanFrame(train, 32)!;
    const fg = reply.foreground!;
    assert.equal(fg.threshold, 0.1);
    for (let i = 0; i < T; i++) {
      const truth = reply.truth.data;
      assert.ok(Math.abs(reply.meanFrameMse![i] - pixelMse(mean, truth, 0, i * F, F)) < 1e-6, `mean-frame mse @${i}`);
      const mask = foregroundMask(truth, i * F, mean);
      const e = maskedSquaredError(reply.dream.data, i * F, truth, i * F, mask);
      assert.ok(Math.abs(fg.mse[i] - e.sse / e.count) < 1e-6, `foreground mse @${i}`);
      assert.ok(fg.fraction[i] > 0 && fg.fraction[i] < 0.3, `foreground share @${i}: ${fg.fraction[i]}`);
    }
  } finally {
    dreams.close();
  }
});

test('runs:eval: the eval report on the wire (NaN as null), computed once per checkpoint', async () => {
  const dreams = new DreamService(ws);
  try {
    const a = await dreams.evaluate({ runId });
    CONTRACT['runs:eval'].reply.parse(a);
    assert.equal(a.runId, runId);
    assert.ok(a.metrics['openloop_fg_mse@10'].baselines!['mean-frame']! > 0);
    assert.ok(a.metrics['probe_r2/cart position@0']);
    // The probe's interval reaches the Runs view (EvalPanel) with the metric: two ends, numbers or null.
    const ci = a.metrics['probe_r2/cart position@0'].ci95;
    assert.ok(ci && ci.length === 2 && ci.every((x) => x === null || Number.isFinite(x)), `ci95 ${JSON.stringify(ci)}`);
    // So does a pixel error's ratio to the mean frame with its interval.
    const fg = a.metrics['openloop_fg_mse@10'];
    assert.equal(fg.ratio_baseline, 'mean-frame');
    const rc = fg.ratio_ci95;
    assert.ok(
      rc && rc.length === 2 && rc.every((x) => x === null || Number.isFinite(x)),
      `ratio_ci95 ${JSON.stringify(rc)}`,
    );
    assert.ok(a.notes.length > 0);
    const b = await dreams.evaluate({ runId });
    assert.equal(b, a, 'the same checkpoint is not evaluated twice');
    await assert.rejects(dreams.evaluate({ runId: 'nope' }), /no run 'nope'/);
  } finally {
    dreams.close();
  }
});

test('dreams:openloop with samples K shows the pixel-wise mean of the K sampled dreams its seed names, scored as shown', async () => {
  const dreams = new DreamService(ws);
  try {
    const where = { runId, episode: 4, start: 6, horizon: 8, context: 3 };
    const K = 4;
    const tau = 1.5;
    const reply = await dreams.openloop({ ...where, seed: 11, temperature: tau, samples: K });
    CONTRACT['dreams:openloop'].reply.parse(reply);
    assert.equal(reply.samples, K);
    assert.equal(reply.temperature, tau);
    // The K dreams, one at a time, with the seeds the request's seed draws (core/runs/predictive-mean.ts).
    const rng = new Rng(11);
    const each: OpenLoopResult[] = [];
    for (let i = 0; i < K; i++)
      each.push((await dreams.openloopRaw({ ...where, temperature: tau, seed: rng.int(0x7fffffff) })).result);
    const n = each[0].dream.length;
    assert.ok(
      each.some((r) => r.dream.some((v, j) => v !== each[0].dream[j])),
      'the samples differ, so their mean says something',
    );
    const F = 32 * 32 * 3;
    const nCtx = reply.context;
    const shown = reply.dream.data.subarray(nCtx * F);
    assert.equal(shown.length, n);
    for (let j = 0; j < n; j++) {
      const mean = each.reduce((s, r) => s + r.dream[j], 0) / K;
      if (Math.abs(shown[j] - mean) > 0.5 + 1e-9) assert.fail(`pixel ${j}: shown ${shown[j]}, mean ${mean}`);
    }
    // The per-step error is the shown (mean) dream's, not one sample's.
    for (let i = nCtx; i < reply.mse.length; i++) {
      const want = pixelMse(reply.dream.data, reply.truth.data, i * F, i * F, F);
      assert.ok(Math.abs(reply.mse[i] - want) <= 1e-6 * want, `mse @${i}: ${reply.mse[i]} vs ${want}`);
    }
    // The same request shows the same picture; the point prediction is another one.
    const again = await dreams.openloop({ ...where, seed: 11, temperature: tau, samples: K });
    assert.deepEqual(again.dream.data, reply.dream.data);
    const mode = await dreams.openloop({ ...where, seed: 11 });
    assert.equal(mode.samples, null);
    assert.equal(mode.temperature, 0);
    assert.notDeepEqual(mode.dream.data.subarray(nCtx * F), shown);
  } finally {
    dreams.close();
  }
});

test('dreams:openloop with samples K frees what it allocates: numTensors is flat across requests', async () => {
  const dreams = new DreamService(ws);
  try {
    const req = { runId, episode: 4, start: 6, horizon: 8, context: 3, seed: 5, temperature: 1, samples: 3 };
    await dreams.openloop(req); // loads the model and its views, which stay cached
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await dreams.openloop({ ...req, seed: 5 + i });
    assert.equal(tf.memory().numTensors, before);
  } finally {
    dreams.close();
  }
});

test('an export of the shown dream draws that dream again: its context, seed, τ and samples (exportSourceOf)', async () => {
  const dreams = new DreamService(ws);
  try {
    const F = 32 * 32 * 3;
    // Not the service's defaults (context 5, seed 0): an export that dropped either would draw another dream.
    const where = { runId, episode: 4, start: 9, horizon: 6, context: 2 };
    for (const kind of [{ temperature: 1.5 }, { temperature: 1, samples: 3 }]) {
      const reply = await dreams.openloop({ ...where, seed: 23, ...kind });
      assert.equal(reply.seed, 23);
      const source = CONTRACT['exports:strip'].request.parse({ source: exportSourceOf(reply), format: 'png' }).source;
      assert.ok(source.kind === 'openloop');
      const { result } = await dreams.openloopRaw(source);
      const nCtx = reply.context;
      assert.equal(result.contextIndices.length, nCtx, 'the export observes as many frames as the shown dream');
      assert.deepEqual(result.contextRecon, reply.dream.data.subarray(0, nCtx * F));
      assert.deepEqual(result.dream, reply.dream.data.subarray(nCtx * F), `dream ${JSON.stringify(kind)}`);
      // And the check can tell: another seed is another picture.
      const other = await dreams.openloopRaw({ ...source, seed: 24 });
      assert.notDeepEqual(other.result.dream, result.dream);
    }
  } finally {
    dreams.close();
  }
});
