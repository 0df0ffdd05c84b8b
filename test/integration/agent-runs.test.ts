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
import { evaluateRun } from '../../core/runs/evaluate.ts';
import { isHeldOut } from '../../core/runs/episode-store.ts';
import type { TrainData } from '../../core/models/family.ts';

// Behaviours through the runner: the actor-critic trained purely inside a model learned from episodes (then
// scored in the env), resume after a kill, and an online actor-critic run evaluated on held-out episodes.
before(async () => {
  await initBackend();
});

const SMALL = {
  train: { length: 8, batch: 4 },
  behavior: 'actor-critic',
  actorCritic: { horizon: 5 },
  online: { seedEpisodes: 6, trainEvery: 3, explorationNoise: 0.3, actionRepeat: 8, episodeSteps: 10 },
};

function cartpoleData(n: number): TrainData {
  const env = makeEnv('cartpole-swingup', { size: 32, maxSteps: 20 });
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

const lossesOf = (dir: string) =>
  readMetrics(dir)
    .filter((m) => typeof m['model/model_loss'] === 'number')
    .map((m) => [m.step, m['model/model_loss'], m['model/actor_loss'], m['model/critic_loss'], m['model/imag_return']]);

test(
  'actor-critic trained offline inside the model: resume after a kill reproduces the next losses; scored in the env at the end',
  { timeout: 300_000 },
  async () => {
    const ws = mkdtempSync(join(tmpdir(), 'oneiro-agent-runs-'));
    try {
      const data = cartpoleData(4);
      const opts = {
        workspace: ws,
        family: 'rssm',
        preset: 'debug',
        dataset: null,
        env: 'cartpole-swingup',
        steps: 8,
        seed: 5,
        overrides: SMALL,
        train: { checkpointEvery: 4, logEvery: 1 },
      };
      const a = await createRun({ ...opts, id: 'a' });
      assert.equal((await trainRun(a.dir, { data, log: () => {} })).state, 'completed');
      const b = await createRun({ ...opts, id: 'b' });
      const ctrl = new AbortController();
      // A kill at step 6: no checkpoint on stop, the run resumes from step 4's checkpoint.
      await trainRun(b.dir, {
        data,
        signal: ctrl.signal,
        checkpointOnStop: false,
        log: () => {},
        onStep: (s) => s.globalStep === 6 && ctrl.abort(),
      });
      assert.equal((await trainRun(b.dir, { data, log: () => {} })).state, 'completed');
      const la = lossesOf(a.dir);
      assert.equal(la.length, 8);
      for (const row of la)
        assert.ok(
          row.every((v) => Number.isFinite(v as number)),
          `finite losses ${row}`,
        );
      assert.deepEqual(lossesOf(b.dir), la, 'model, actor and critic losses after resume equal the uninterrupted run');
      const end = readMetrics(a.dir).find((m) => typeof m['model/eval_return'] === 'number');
      assert.ok(end, 'the behaviour was scored in the env after training');
      assert.ok(
        Number.isFinite(end['model/eval_return'] as number) && Number.isFinite(end['model/random_return'] as number),
      );
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  },
);

test(
  'online actor-critic run: the agent collects; oneiro eval scores only held-out episodes and says how many',
  { timeout: 300_000 },
  async () => {
    const ws = mkdtempSync(join(tmpdir(), 'oneiro-agent-online-'));
    try {
      const run = await createRun({
        workspace: ws,
        family: 'rssm',
        preset: 'debug',
        dataset: null,
        env: 'cartpole-swingup',
        steps: 7,
        seed: 2,
        overrides: SMALL,
        train: { checkpointEvery: 100, logEvery: 1, heldOutFraction: 0.5 },
      });
      assert.equal((await trainRun(run.dir, { log: () => {} })).state, 'completed');
      const files = readdirSync(join(run.dir, 'episodes')).sort();
      assert.equal(files.length, 6 + 2, '6 seed episodes + agent episodes at steps 3 and 6');
      const held = files.filter((f) => isHeldOut(f.slice(0, -4), 0.5));
      assert.ok(held.length > 0 && held.length < files.length, `some held out (${held.length} of ${files.length})`);
      const collected = readMetrics(run.dir).filter((m) => typeof m['model/train_return'] === 'number');
      assert.deepEqual(
        collected.map((m) => m.step),
        [4, 7],
        'the actor collected at steps 3 and 6',
      );
      const report = await evaluateRun(run.dir);
      assert.equal(report.episodes, held.length, 'eval uses exactly the held-out episodes');
      assert.ok(Object.keys(report.metrics).length > 0);
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  },
);
