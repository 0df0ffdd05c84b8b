import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../core/tensor/backend.ts';
import { collectJob } from '../../core/trainer/collect-job.ts';
import { createRun, trainRun } from '../../core/runs/trainer.ts';
import { loadRunAgent } from '../../core/runs/load-agent.ts';
import { LatentAgent } from '../../core/agents/latent-agent.ts';
import { lambdaReturn } from '../../core/agents/lambda-return.ts';
import { openDataset, readEpisode } from '../../core/data/dataset.ts';
import { DreamService } from '../../core/runs/dreams.ts';
import { DREAM_METHODS } from '../../core/trainer/protocol.ts';
import { ServiceError } from '../../core/service/errors.ts';
import { DreamWorkerClient } from '../../core/service/dream-worker.ts';
import { forkLauncher } from '../../core/trainer/launcher.ts';

// The actor-critic made visible, at the level of the dream server (DreamService is what the dream worker
// process runs; DREAM_METHODS is what it answers): the actor's imagined rollout with reward, value and
// λ-return per step, and the Play autopilot, on a tiny trained debug actor-critic run.

const ws = mkdtempSync(join(tmpdir(), 'oneiro-actor-dream-'));
const S = 32;
const H = 6;
let dreams: DreamService;

before(
  async () => {
    await initBackend();
    await collectJob(
      {
        kind: 'collect',
        workspace: ws,
        env: 'cartpole-swingup',
        dataset: 'cart',
        episodes: 4,
        seed: 1,
        size: S,
        maxSteps: 20,
        policy: 'random',
      },
      new AbortController().signal,
      () => {},
    );
    const common = { workspace: ws, family: 'rssm', preset: 'debug', dataset: 'cart', steps: 3, seed: 2 };
    const train = { checkpointEvery: 3, logEvery: 1 };
    const small = { train: { length: 8, batch: 4 } };
    const ac = await createRun({
      ...common,
      id: 'ac',
      overrides: { ...small, behavior: 'actor-critic', actorCritic: { horizon: 5 } },
      train,
    });
    assert.equal((await trainRun(ac.dir, { log: () => {} })).state, 'completed');
    const cem = await createRun({ ...common, id: 'cem', overrides: small, train });
    assert.equal((await trainRun(cem.dir, { log: () => {} })).state, 'completed');
    dreams = new DreamService(ws);
  },
  { timeout: 300_000 },
);

after(() => {
  dreams?.close();
  rmSync(ws, { recursive: true, force: true });
});

test('the dream server process answers imagine and autopilot steps, as the in-process service does', async () => {
  assert.ok((DREAM_METHODS as readonly string[]).includes('imagine'));
  const worker = new DreamWorkerClient(ws, forkLauncher());
  try {
    const req = { runId: 'ac', episode: 1, start: 6, horizon: H, sample: false, seed: 0 };
    const [far, near] = [await worker.imagine(req), await dreams.imagine(req)];
    assert.ok(worker.pid() !== undefined && worker.pid() !== process.pid, 'computed in its own process');
    assert.deepEqual(far.frames.shape, [H + 1, S, S, 3]);
    for (let t = 0; t <= H; t++) assert.ok(Math.abs(far.lambdaReturn[t] - near.lambdaReturn[t]) < 1e-4, `R_${t}`);
    const f = await worker.reset({ runId: 'ac', episode: 0, step: 0, seed: 0 });
    const a = await worker.step({ sessionId: f.sessionId, autopilot: true });
    assert.equal(a.driver, 'actor');
  } finally {
    await worker.close();
  }
});

test("the actor's imagined rollout: decoded frames and reward/value/λ-return per step, the λ-return being training's", async () => {
  const r = await dreams.imagine({ runId: 'ac', episode: 1, start: 6, horizon: H, sample: false, seed: 0 });
  assert.deepEqual(r.frames.shape, [H + 1, S, S, 3]);
  assert.equal(r.frames.data.length, (H + 1) * S * S * 3);
  assert.deepEqual(r.real.shape, [1, S, S, 3]);
  assert.equal(r.context, 5, 'five real frames filtered (the default context) ending at the start frame');
  assert.deepEqual([r.runId, r.dataset, r.episode, r.start], ['ac', 'cart', 1, 6], 'where it started, as used');
  const ep = readEpisode(openDataset(ws, 'cart'), 1);
  assert.deepEqual(r.real.data, ep.image.subarray(6 * S * S * 3, 7 * S * S * 3), 'the real start frame');
  for (const k of ['reward', 'value', 'discount', 'lambdaReturn'] as const) {
    assert.equal(r[k].length, H + 1, k);
    assert.ok(
      r[k].every((v) => Number.isFinite(v)),
      `${k} finite`,
    );
  }
  assert.equal(r.actions.length, H * 1, 'one box action per imagined step');
  assert.ok(r.actions.every((a) => a >= -1 && a <= 1));
  assert.equal(r.gamma, 0.99);
  // λ-return from core/agents/lambda-return.ts on the returned rows, indexed as training does.
  const want = tf.tidy(() => {
    const col = (x: Float32Array, from: number) => tf.tensor2d(x.slice(from, from + H), [H, 1]);
    return Array.from(
      lambdaReturn(
        col(r.reward, 1),
        col(r.value, 0),
        col(r.discount, 1),
        tf.tensor1d([r.value[H]]),
        r.lambda,
      ).dataSync(),
    );
  });
  for (let t = 0; t < H; t++) assert.ok(Math.abs(r.lambdaReturn[t] - want[t]) < 1e-5, `R_${t}`);
  assert.equal(r.lambdaReturn[H], r.value[H], 'R_H bootstraps from the last value');
  // The default horizon is the behaviour's own.
  const d = await dreams.imagine({ runId: 'ac', episode: 1, start: 6, sample: false, seed: 0 });
  assert.equal(d.horizon, 5);
  // Deterministic without sampling; sampled rollouts follow their seed.
  const again = await dreams.imagine({ runId: 'ac', episode: 1, start: 6, horizon: H, sample: false, seed: 9 });
  assert.deepEqual(again.lambdaReturn, r.lambdaReturn);
  const s1 = await dreams.imagine({ runId: 'ac', episode: 1, start: 6, horizon: H, sample: true, seed: 1 });
  const s2 = await dreams.imagine({ runId: 'ac', episode: 1, start: 6, horizon: H, sample: true, seed: 2 });
  assert.notDeepEqual(s1.actions, s2.actions, 'sampled actions differ by seed');
});

test('autopilot: a step takes the latent agent’s action for the dream state; a manual action overrides it', async () => {
  const ep = readEpisode(openDataset(ws, 'cart'), 2);
  const f0 = ep.image.subarray(0, S * S * 3);
  // What the run's agent does seeing that real frame (belief filtering + deterministic actor), loaded on its own.
  const agent = await loadRunAgent(join(ws, 'runs', 'ac'));
  let expected: number[];
  try {
    const la = new LatentAgent(agent.wm, agent.behavior, { noise: 0, seed: 0, frameSize: S, explore: false });
    expected = Array.from(la.act({ image: f0 }));
    la.dispose();
  } finally {
    agent.dispose();
  }
  const reset = await dreams.reset({ runId: 'ac', episode: 2, step: 0, seed: 0 });
  assert.equal(reset.driver, null);
  const auto = await dreams.step({ sessionId: reset.sessionId, autopilot: true });
  assert.equal(auto.driver, 'actor');
  assert.equal(auto.action!.length, 1);
  assert.ok(Math.abs(auto.action![0] - expected[0]) < 1e-5, `autopilot ${auto.action} vs agent ${expected}`);
  // The same action typed by the user from the same frame gives the same dream frame: the autopilot's action
  // is the one the model stepped with.
  await dreams.reset({ runId: 'ac', episode: 2, step: 0, seed: 0, sessionId: reset.sessionId });
  const same = await dreams.step({ sessionId: reset.sessionId, action: auto.action! });
  assert.deepEqual(same.frame.data, auto.frame.data);
  // A manual action overrides the actor: a different action, the user's, and a different dream.
  const other = expected[0] > 0 ? -1 : 1;
  await dreams.reset({ runId: 'ac', episode: 2, step: 0, seed: 0, sessionId: reset.sessionId });
  const manual = await dreams.step({ sessionId: reset.sessionId, action: [other] });
  assert.equal(manual.driver, 'user');
  assert.deepEqual(manual.action, [other]);
  assert.notDeepEqual(manual.frame.data, auto.frame.data);
  // Then back to the actor mid-dream, from the manual state.
  const back = await dreams.step({ sessionId: reset.sessionId, autopilot: true });
  assert.equal(back.driver, 'actor');
  assert.equal(back.t, 2);
});

test('runs without an actor: a conflict naming the behaviour, for both the rollout and the autopilot', async () => {
  await assert.rejects(
    dreams.imagine({ runId: 'cem', episode: 0, start: 3, sample: false, seed: 0 }),
    (e: unknown) =>
      e instanceof ServiceError &&
      e.code === 'conflict' &&
      /^run cem has no actor to dream with: its behaviour is 'cem', which has no actor/.test(e.message),
  );
  const s = await dreams.reset({ runId: 'cem', episode: 0, step: 0, seed: 0 });
  await assert.rejects(
    dreams.step({ sessionId: s.sessionId, autopilot: true }),
    (e: unknown) => e instanceof ServiceError && e.code === 'conflict' && /behaviour is 'cem'/.test(e.message),
  );
  const ok = await dreams.step({ sessionId: s.sessionId, action: [0.5] });
  assert.equal(ok.t, 1, 'manual play still works');
});

test('tensors stay flat over repeated rollouts and autopilot steps', async () => {
  const req = { runId: 'ac', episode: 0, start: 4, horizon: H, sample: true, seed: 3 };
  await dreams.imagine(req);
  const s = await dreams.reset({ runId: 'ac', episode: 0, step: 0, seed: 0 });
  await dreams.step({ sessionId: s.sessionId, autopilot: true });
  const before = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) {
    await dreams.imagine({ ...req, seed: i });
    await dreams.step({ sessionId: s.sessionId, autopilot: true });
  }
  assert.equal(tf.memory().numTensors, before);
});
