import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../core/tensor/backend.ts';
import { makeEnv } from '../../core/envs/registry.ts';
import { randomPolicy } from '../../core/agents/random-agents.ts';
import { rolloutEpisode } from '../../core/agents/rollout.ts';
import { addEpisode, createDataset } from '../../core/data/dataset.ts';
import { episodeBytes, seededEpisodeName } from '../../core/data/episode-file.ts';
import { Rng } from '../../core/util/rng.ts';
import { createRun, trainRun } from '../../core/runs/trainer.ts';
import { readMetrics } from '../../core/runs/metrics.ts';
import { loadTrainData } from '../../core/runs/run-data.ts';

// Dataset runs of a family that samples through the streaming replay (rssm): the training episodes are never
// all in memory, the batches are those of in-memory sampling, and resume stays exact.
before(async () => {
  await initBackend();
});

/** A cartpole-swingup dataset of n random episodes of 40 steps at 32 px (~126 KB of pixels each). */
function makeDataset(ws: string, n: number): number {
  const env = makeEnv('cartpole-swingup', { size: 32, maxSteps: 40 });
  const ds = createDataset(ws, 'cp', {
    env: 'cartpole-swingup',
    observationShape: [32, 32, 3],
    actionSpace: env.actionSpace,
    source: { kind: 'test' },
  });
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const { episode } = rolloutEpisode(env, randomPolicy(env.actionSpace, new Rng(i)), i);
    addEpisode(ds, episode, { level: 1, file: seededEpisodeName(episode, 0, i) }); // a stable held-out split
    bytes += episodeBytes(episode);
  }
  return bytes;
}

const lossesOf = (dir: string) => readMetrics(dir).map((m) => [m.step, m['model/model_loss']]);

const runOpts = (ws: string) => ({
  workspace: ws,
  family: 'rssm',
  preset: 'debug',
  dataset: 'cp',
  steps: 6,
  seed: 5,
  train: { checkpointEvery: 100, logEvery: 1, replayCacheMB: 1 },
});

test(
  'a dataset several times the replay cache trains an rssm with the resident episodes within the cap',
  { timeout: 240_000 },
  async () => {
    const ws = mkdtempSync(join(tmpdir(), 'oneiro-replay-runs-'));
    try {
      const total = makeDataset(ws, 24);
      const cap = 400_000; // about three episodes
      assert.ok(total > 6 * cap, `dataset ${total} B vs cache ${cap} B`);
      const data = loadTrainData(ws, 'cp', 0.1, undefined, { cacheBytes: cap });
      const replay = data.trainReplay!;
      assert.equal(data.train.length, 0, 'no training episode is loaded up front');
      assert.ok(data.heldOut.length >= 1);
      const r = await createRun({ ...runOpts(ws), id: 'capped' });
      assert.equal((await trainRun(r.dir, { data, log: () => {} })).state, 'completed');
      const c = replay.counters;
      // Streamed: far more episode reads than ever resident, never more resident than the cap holds.
      assert.ok(c.loads > c.peakEpisodes, `loads ${c.loads}, peak resident ${c.peakEpisodes}`);
      assert.ok(c.evictions > 0);
      assert.ok(c.peakBytes <= cap, `peak resident ${c.peakBytes} B > cap ${cap} B`);
      assert.ok(c.peakEpisodes <= 3 && c.peakEpisodes < replay.episodeCount, `peak ${c.peakEpisodes} episodes`);
      assert.ok(replay.residentEpisodes <= c.peakEpisodes);
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  },
);

test(
  'streamed dataset training gives the in-memory losses, and resume after a stop reproduces them',
  { timeout: 240_000 },
  async () => {
    const ws = mkdtempSync(join(tmpdir(), 'oneiro-replay-runs-'));
    try {
      makeDataset(ws, 24);
      // In memory: the dataset loaded whole and handed to the runner.
      const mem = await createRun({ ...runOpts(ws), id: 'mem' });
      const data = loadTrainData(ws, 'cp', 0.1);
      assert.ok(data.train.length > 0 && !data.trainReplay);
      assert.equal((await trainRun(mem.dir, { data, log: () => {} })).state, 'completed');
      // Streamed: the runner's own loading (rssm samples through the replay, cache 1 MiB ≈ 8 of 24 episodes).
      const str = await createRun({ ...runOpts(ws), id: 'stream' });
      assert.equal((await trainRun(str.dir, { log: () => {} })).state, 'completed');
      const expected = lossesOf(mem.dir);
      assert.equal(expected.length, 6);
      assert.deepEqual(lossesOf(str.dir), expected);
      // Killed at step 4 (no checkpoint on stop: the last is step 3's), then resumed: the same losses. The replay
      // holds no sampling state to restore: every window is drawn with the step's Rng.
      const res = await createRun({
        ...runOpts(ws),
        id: 'resumed',
        train: { ...runOpts(ws).train, checkpointEvery: 3 },
      });
      const ctrl = new AbortController();
      await trainRun(res.dir, {
        signal: ctrl.signal,
        checkpointOnStop: false,
        log: () => {},
        onMetrics: (m) => {
          if (m.step === 4) ctrl.abort();
        },
      });
      assert.ok(lossesOf(res.dir).length < 6, 'the first attempt stopped early');
      assert.equal((await trainRun(res.dir, { log: () => {} })).state, 'completed');
      const byStep = new Map(lossesOf(res.dir).map(([s, l]) => [s, l]));
      for (const [s, l] of expected) assert.equal(byStep.get(s), l, `step ${s}`);
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  },
);
