import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../core/tensor/backend.ts';
import { makeEnv } from '../../core/envs/registry.ts';
import { randomPolicy } from '../../core/agents/random-agents.ts';
import { rolloutEpisode } from '../../core/agents/rollout.ts';
import { Rng } from '../../core/util/rng.ts';
import { createRun, trainRun } from '../../core/runs/trainer.ts';
import { readMetrics } from '../../core/runs/metrics.ts';
import type { TrainData } from '../../core/models/family.ts';
import { onlineTrainData } from '../../core/runs/episode-store.ts';

// The RSSM family through the shared run machinery: resume reproduces an uninterrupted run, and the online
// loop (seed episodes, planner collects, episodes on disk) runs and resumes.
before(async () => {
  await initBackend();
});

function cartpoleData(n: number): TrainData {
  const env = makeEnv('cartpole-swingup', { size: 32, maxSteps: 30 });
  const eps = Array.from(
    { length: n },
    (_, i) => rolloutEpisode(env, randomPolicy(env.actionSpace, new Rng(i)), i).episode,
  );
  return {
    dataset: 'mem',
    env: 'cartpole-swingup',
    actionSpace: env.actionSpace,
    imageSize: 32,
    train: eps.slice(1),
    heldOut: eps.slice(0, 1),
  };
}

const lossesOf = (dir: string) => readMetrics(dir).map((m) => [m.step, m['model/model_loss']]);

test('rssm resume after a stop gives the same next losses as an uninterrupted run', { timeout: 240_000 }, async () => {
  const ws = mkdtempSync(join(tmpdir(), 'oneiro-rssm-runs-'));
  try {
    const data = cartpoleData(4);
    const opts = {
      workspace: ws,
      family: 'rssm',
      preset: 'debug',
      dataset: null,
      env: 'cartpole-swingup',
      steps: 12,
      seed: 3,
      train: { checkpointEvery: 100, logEvery: 1 },
    };
    const a = await createRun({ ...opts, id: 'a' });
    assert.equal((await trainRun(a.dir, { data, log: () => {} })).state, 'completed');
    const b = await createRun({ ...opts, id: 'b' });
    const ctrl = new AbortController();
    await trainRun(b.dir, {
      data,
      signal: ctrl.signal,
      log: () => {},
      onStep: (s) => {
        if (s.globalStep === 6) ctrl.abort();
      },
    });
    const r = await trainRun(b.dir, { data, log: () => {} });
    assert.equal(r.state, 'completed');
    const la = lossesOf(a.dir);
    const lb = lossesOf(b.dir);
    assert.equal(la.length, 12);
    assert.deepEqual(lb, la, 'metrics after resume equal the uninterrupted run');
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test(
  'rssm online: seed episodes, planner collects every trainEvery steps, episodes saved, resume keeps them',
  { timeout: 240_000 },
  async () => {
    const ws = mkdtempSync(join(tmpdir(), 'oneiro-rssm-online-'));
    try {
      const overrides = {
        train: { length: 8, batch: 4 },
        planner: { horizon: 4, candidates: 40, topK: 4, iterations: 2 },
        online: { seedEpisodes: 2, trainEvery: 4, explorationNoise: 0.3, actionRepeat: 8, episodeSteps: 10 },
      };
      const run = await createRun({
        workspace: ws,
        family: 'rssm',
        preset: 'debug',
        dataset: null,
        env: 'cartpole-swingup',
        steps: 10,
        seed: 1,
        overrides,
        train: { checkpointEvery: 100, logEvery: 1 },
      });
      const ctrl = new AbortController();
      const data = onlineTrainData('cartpole-swingup', 32);
      await trainRun(run.dir, {
        data,
        signal: ctrl.signal,
        log: () => {},
        onStep: (s) => {
          if (s.globalStep === 6) ctrl.abort();
        },
      });
      const files1 = readdirSync(join(run.dir, 'episodes'));
      // Neither seed id hashes to held out, so the runner adds a dedicated held-out episode (agent-session.ts).
      assert.equal(files1.length, 4, '2 seed episodes + 1 dedicated held-out episode + 1 planner episode (step 4)');
      const r = await trainRun(run.dir, { data: onlineTrainData('cartpole-swingup', 32), log: () => {} });
      assert.equal(r.state, 'completed');
      const files2 = readdirSync(join(run.dir, 'episodes'));
      assert.equal(files2.length, 5, 'one more planner episode at step 8 after resume');
      const returns = readMetrics(run.dir).filter((m) => typeof m['model/train_return'] === 'number');
      assert.deepEqual(
        returns.map((m) => m.step),
        [5, 9],
        'train_return logged when the planner collected',
      );
      for (const m of returns) assert.ok(Number.isFinite(m['model/train_return'] as number));
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  },
);
