import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../core/tensor/backend.ts';
import { collectJob } from '../../core/trainer/collect-job.ts';
import { createRun, trainRun } from '../../core/runs/trainer.ts';
import { loadRunAgent } from '../../core/runs/load-agent.ts';
import { openDataset, readEpisode } from '../../core/data/dataset.ts';
import { DreamService } from '../../core/runs/dreams.ts';
import { achieverOf, goalDream } from '../../core/runs/goal-dream.ts';
import { DREAM_METHODS } from '../../core/trainer/protocol.ts';
import { ServiceError } from '../../core/service/errors.ts';
import { DreamWorkerClient } from '../../core/service/dream-worker.ts';
import { forkLauncher } from '../../core/trainer/launcher.ts';
import { resizeFrames } from '../../core/media/frames.ts';

// "Goals from any frame" at the level of the dream server (DreamService is what the dream worker process runs):
// a tiny trained LEXA run's achiever pursues a frame picked from the dataset, in imagination, with its latent
// distance to the goal per imagined state — what the Dream Lab's goal panel shows.

const ws = mkdtempSync(join(tmpdir(), 'oneiro-goal-dream-'));
const S = 32;
const H = 5;
let dreams: DreamService;

before(
  async () => {
    await initBackend();
    await collectJob(
      {
        kind: 'collect',
        workspace: ws,
        env: 'point-goals',
        dataset: 'pts',
        episodes: 4,
        seed: 1,
        size: S,
        maxSteps: 20,
        policy: 'random',
      },
      new AbortController().signal,
      () => {},
    );
    const common = { workspace: ws, family: 'rssm', preset: 'debug', dataset: 'pts', steps: 3, seed: 2 };
    const train = { checkpointEvery: 3, logEvery: 1 };
    const small = { train: { length: 8, batch: 4 } };
    const lexa = await createRun({ ...common, id: 'lexa', overrides: { ...small, behavior: 'lexa' }, train });
    assert.equal((await trainRun(lexa.dir, { log: () => {} })).state, 'completed');
    const ac = await createRun({ ...common, id: 'ac', overrides: { ...small, behavior: 'actor-critic' }, train });
    assert.equal((await trainRun(ac.dir, { log: () => {} })).state, 'completed');
    dreams = new DreamService(ws);
  },
  { timeout: 300_000 },
);

after(() => {
  dreams?.close();
  rmSync(ws, { recursive: true, force: true });
});

test('dreams:goal pursues the picked frame: the goal is that frame, the curve is the achiever goal dream, the dream server agrees', async () => {
  assert.ok((DREAM_METHODS as readonly string[]).includes('goal'));
  const req = { runId: 'lexa', episode: 1, start: 4, goalEpisode: 2, goalStep: 7, horizon: H };
  const near = await dreams.goal(req);
  assert.deepEqual(near.frames.shape, [H + 1, S, S, 3]);
  assert.equal(near.cosineDistance.length, H + 1);
  assert.equal(near.pixels, 'decoder');
  // The goal is exactly the picked frame (episode 2, row 7), not the start's episode or another row.
  const ds = openDataset(ws, 'pts');
  const ep2 = readEpisode(ds, 2);
  const [, GH, GW] = ep2.imageShape;
  const want = resizeFrames(ep2.image.subarray(7 * GH * GW * 3, 8 * GH * GW * 3), 1, GW, S);
  assert.deepEqual(Buffer.from(near.goal.data), Buffer.from(want));
  // The curve is the achiever's goal dream from the same context and goal (core/runs/goal-dream.ts).
  const agent = await loadRunAgent(join(ws, 'runs', 'lexa'));
  try {
    const ep1 = readEpisode(ds, 1);
    const n = near.context;
    const first = 4 + 1 - n;
    const A = agent.wm.actionDim;
    const frames = resizeFrames(ep1.image.subarray(first * GH * GW * 3, 5 * GH * GW * 3), n, GW, S);
    const actions = Float32Array.from(ep1.action.subarray(first * A, 5 * A));
    const direct = goalDream(agent.wm, achieverOf(agent.behavior), frames, actions, want, H);
    for (let t = 0; t <= H; t++)
      assert.ok(Math.abs(direct.cosineDistance[t] - near.cosineDistance[t]) < 1e-4, `d_${t}`);
  } finally {
    agent.dispose();
  }
  const worker = new DreamWorkerClient(ws, forkLauncher());
  try {
    const far = await worker.goal(req);
    assert.ok(worker.pid() !== undefined && worker.pid() !== process.pid, 'computed in its own process');
    for (let t = 0; t <= H; t++) assert.ok(Math.abs(far.cosineDistance[t] - near.cosineDistance[t]) < 1e-4, `d_${t}`);
  } finally {
    await worker.close();
  }
});

test('dreams:goal refuses a run without an achiever and a goal frame outside its episode, in one line each', async () => {
  await assert.rejects(
    dreams.goal({ runId: 'ac', episode: 0, start: 2, goalStep: 3 }),
    (e: unknown) =>
      e instanceof ServiceError &&
      e.code === 'conflict' &&
      /^run ac has no achiever to dream with: .*lexa/.test(e.message),
  );
  await assert.rejects(
    dreams.goal({ runId: 'lexa', episode: 0, start: 2, goalEpisode: 1, goalStep: 9999 }),
    (e: unknown) =>
      e instanceof ServiceError &&
      e.code === 'invalid_request' &&
      e.field === 'payload.goalStep' &&
      /^payload\.goalStep: episode 1 has \d+ frames/.test(e.message),
  );
});
