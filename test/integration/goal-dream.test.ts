import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
import * as tf from '@tensorflow/tfjs-core';
import { POINT_GOALS, SUCCESS_RADIUS } from '../../core/envs/point-goals.ts';

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
        episodes: 8,
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
  assert.deepEqual([near.runId, near.dataset, near.episode, near.start], ['lexa', 'pts', 1, 4], 'where it started');
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
    // The real env side crosses the process boundary whole (frames, states, success rows).
    assert.equal(far.realEnv.kind, 'rollout');
    if (far.realEnv.kind === 'rollout' && near.realEnv.kind === 'rollout') {
      assert.deepEqual(Buffer.from(far.realEnv.frames.data), Buffer.from(near.realEnv.frames.data));
      assert.deepEqual(Array.from(far.realEnv.state), Array.from(near.realEnv.state));
      assert.equal(far.realEnv.successNote, near.realEnv.successNote);
    }
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

// The real side: the same achiever pursuing the same goal in the dataset's built-in env (core/runs/goal-real.ts).

/** The recorded state of a row. */
function stateAt(ep: ReturnType<typeof readEpisode>, t: number): Float32Array {
  const st = ep.extra!.state;
  return (st.data as Float32Array).slice(t * st.shape[1], (t + 1) * st.shape[1]);
}
const ringGoalOf = (s: ArrayLike<number>) =>
  POINT_GOALS.find((g) => Math.hypot(s[0] - g.x, s[1] - g.y) < SUCCESS_RADIUS) ?? null;

test('dreams:goal shows the achiever in the real env: it starts on the episode frame, success is the env goal test', async () => {
  const ds = openDataset(ws, 'pts');
  // A goal row whose recorded state lies on one of point-goals' 8 goals (its own success test applies).
  let goalAt: { e: number; t: number; name: string } | null = null;
  for (let e = 0; e < ds.meta.counts.episodes && !goalAt; e++) {
    const ep = readEpisode(ds, e);
    for (let t = 0; t < ep.imageShape[0] && !goalAt; t++) {
      const g = ringGoalOf(stateAt(ep, t));
      if (g) goalAt = { e, t, name: g.name };
    }
  }
  assert.ok(goalAt, 'the seeded dataset holds a row on a ring goal');
  const req = { runId: 'lexa', episode: 1, start: 4, goalEpisode: goalAt.e, goalStep: goalAt.t, horizon: H };
  const r = await dreams.goal(req);
  assert.equal(r.realEnv.kind, 'rollout', JSON.stringify(r.realEnv));
  if (r.realEnv.kind !== 'rollout') return;
  const real = r.realEnv;
  assert.equal(real.env, 'point-goals');
  assert.equal(real.steps, H);
  assert.deepEqual(real.frames.shape, [H + 1, S, S, 3]);
  // The env was set to the recorded start: its first frame is the episode's frame (the env and model are 32 px).
  const ep1 = readEpisode(ds, 1);
  const F = S * S * 3;
  assert.equal(real.startExact, true, real.startNote ?? '');
  assert.deepEqual(Buffer.from(real.frames.data.subarray(0, F)), Buffer.from(ep1.image.subarray(4 * F, 5 * F)));
  assert.deepEqual(Array.from(real.state.subarray(0, 2)), Array.from(stateAt(ep1, 4)));
  // Row 0 filters the same frames as the dream's s_0, so the two curves start at the same distance.
  assert.ok(Math.abs(real.cosineDistance[0] - r.cosineDistance[0]) < 1e-5, 'd_0 real = d_0 dream');
  // The point moves under the achiever's actions (the rows are env frames, not the start repeated).
  assert.notDeepEqual(Array.from(real.state.subarray(0, 2)), Array.from(real.state.subarray(2 * H, 2 * H + 2)));
  // Success is the env's own test of the goal the goal frame sits on, on every real row's true state.
  assert.ok(real.success && real.successNote === null);
  assert.equal(real.success.test, goalAt.name);
  const g = POINT_GOALS.find((x) => x.name === goalAt.name)!;
  for (let t = 0; t <= H; t++) {
    const on = Math.hypot(real.state[2 * t] - g.x, real.state[2 * t + 1] - g.y) < SUCCESS_RADIUS;
    assert.equal(real.success.steps[t], on ? 1 : 0, `success at row ${t}`);
  }
  assert.equal(real.success.reached, real.success.steps[H] === 1);
  // Calls keep no tensors (the model is cached after the first).
  const before = tf.memory().numTensors;
  await dreams.goal(req);
  assert.equal(tf.memory().numTensors, before, 'tensors flat across goal dreams');
});

test('dreams:goal: a goal off the env goals has no success test; a dataset without a built-in env refuses the real side only', async () => {
  const ds = openDataset(ws, 'pts');
  const ep = readEpisode(ds, 0);
  let off = 0;
  while (ringGoalOf(stateAt(ep, off))) off++;
  const r = await dreams.goal({ runId: 'lexa', episode: 1, start: 2, goalEpisode: 0, goalStep: off, horizon: H });
  assert.equal(r.realEnv.kind, 'rollout');
  if (r.realEnv.kind === 'rollout') {
    assert.equal(r.realEnv.success, null);
    assert.match(
      r.realEnv.successNote ?? '',
      /^no success test for this goal: its state passes none of the env's 8 goal tests/,
    );
  }
  // The same episodes as an imported dataset (no env recorded): the dream shows, the real side is refused.
  cpSync(join(ws, 'datasets', 'pts'), join(ws, 'datasets', 'pts-imported'), { recursive: true });
  const metaFile = join(ws, 'datasets', 'pts-imported', 'dataset.json');
  writeFileSync(metaFile, JSON.stringify({ ...JSON.parse(readFileSync(metaFile, 'utf8')), env: null }));
  const imp = await dreams.goal({
    runId: 'lexa',
    dataset: 'pts-imported',
    episode: 1,
    start: 2,
    goalStep: 6,
    horizon: H,
  });
  assert.deepEqual(imp.frames.shape, [H + 1, S, S, 3]);
  assert.deepEqual(imp.realEnv, {
    kind: 'refused',
    reason: "no real env side: dataset 'pts-imported' was not collected from a built-in env",
  });
});
