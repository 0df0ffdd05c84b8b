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
