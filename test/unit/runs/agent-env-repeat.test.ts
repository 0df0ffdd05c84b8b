import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../../core/tensor/backend.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { AgentSession, envOptionsOf } from '../../../core/runs/agent-session.ts';
import { dataEnvOptions } from '../../../core/runs/data-env.ts';
import { datasetBackground, type DatasetMeta } from '../../../core/data/dataset.ts';
import { isUserError } from '../../../core/util/errors.ts';
import { rolloutEpisode } from '../../../core/agents/rollout.ts';
import { randomPolicy } from '../../../core/agents/random-agents.ts';
import { makeEnv } from '../../../core/envs/registry.ts';
import { rssmFamily } from '../../../core/models/rssm/family.ts';
import { rssmConfig } from '../../../core/models/rssm/config.ts';
import type { LoadedModel, TrainData } from '../../../core/models/family.ts';
import { evaluateModel } from '../../../core/runs/evaluate.ts';
import { Rng } from '../../../core/util/rng.ts';

before(async () => {
  await initBackend('cpu');
});

const SIZE = 32; // the debug preset's image size
const ENV = 'cartpole-swingup';
const config = rssmConfig('debug', {
  behavior: 'actor-critic',
  train: { batch: 2, length: 4 },
  online: { actionRepeat: 5, episodeSteps: 7 },
});
const settings = rssmFamily.agentSettings!(config)!;

/** Mean random-policy return as scoreInEnv draws it (episode e: env seed and policy seed `seed + e`). */
function randomReturn(opts: { actionRepeat?: number; maxSteps?: number }, episodes: number, seed: number): number {
  const env = makeEnv(ENV, { size: SIZE, ...opts });
  let sum = 0;
  for (let e = 0; e < episodes; e++)
    sum += rolloutEpisode(env, randomPolicy(env.actionSpace, new Rng(seed + e)), seed + e).ret;
  return sum / episodes;
}

test('envOptionsOf is the online schedule; dataEnvOptions is the data: its repeat (null: the env’s own, and its length)', async () => {
  assert.deepEqual(
    envOptionsOf(settings),
    { size: SIZE, actionRepeat: 5, maxSteps: 7, background: 'plain' },
    'online: the schedule',
  );
  assert.deepEqual(await dataEnvOptions(SIZE, { actionRepeat: 3 }), { size: SIZE, actionRepeat: 3 });
  assert.deepEqual(await dataEnvOptions(SIZE, { actionRepeat: null }), { size: SIZE }, 'no recorded repeat');
  assert.deepEqual(await dataEnvOptions(SIZE, {}), { size: SIZE });
  assert.deepEqual(await dataEnvOptions(SIZE, { actionRepeat: 3, background: { background: 'noise', source: null } }), {
    size: SIZE,
    actionRepeat: 3,
    background: 'noise',
  });
});

test('dataEnvOptions reads the user clip the data was drawn over again, and refuses in one line when it is gone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'oneiro-clip-'));
  try {
    for (const [i, v] of [10, 200].entries())
      await sharp(Buffer.alloc(8 * 8 * 3, v), { raw: { width: 8, height: 8, channels: 3 } }).toFile(
        join(dir, `f${i}.png`),
      );
    const o = await dataEnvOptions(SIZE, { background: { background: 'video', source: dir } });
    assert.equal(o.background, 'video');
    assert.equal(o.backgroundFrames?.count, 2);
    assert.equal(o.backgroundFrames?.size, SIZE, 'resized to the model’s frames');
    const gone = join(dir, 'moved');
    await assert.rejects(
      dataEnvOptions(SIZE, { background: { background: 'video', source: gone } }),
      (e: Error) => isUserError(e) && !e.message.includes('\n') && e.message.includes(gone),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('datasetBackground: the last collection run’s background and clip; plain when none is recorded', () => {
  const meta = (runs: unknown) => ({ source: { runs } }) as unknown as DatasetMeta;
  assert.deepEqual(datasetBackground(meta(undefined)), { background: 'plain', source: null });
  assert.deepEqual(datasetBackground(meta([{ actionRepeat: 2 }])), { background: 'plain', source: null });
  assert.deepEqual(datasetBackground(meta([{ background: 'noise' }])), { background: 'noise', source: null });
  assert.deepEqual(datasetBackground(meta([{ background: 'video', backgroundSource: '/c' }])), {
    background: 'video',
    source: '/c',
  });
  assert.deepEqual(datasetBackground(meta([{ background: 'lava' }])), { background: 'plain', source: null });
});

/** An offline actor-critic session on 3 repeat-3 episodes whose dataset records `background`; its endPhase output. */
async function offlineScore(background: TrainData['background'], logs: string[] = []) {
  const env = makeEnv(ENV, { size: SIZE, actionRepeat: 3, maxSteps: 6 });
  const eps = [0, 1, 2].map((i) => rolloutEpisode(env, randomPolicy(env.actionSpace, new Rng(i)), i).episode);
  const data: TrainData = {
    dataset: 'd',
    env: ENV,
    actionSpace: env.actionSpace,
    imageSize: SIZE,
    actionRepeat: 3,
    ...(background ? { background } : {}),
    train: eps.slice(0, 2),
    heldOut: eps.slice(2),
  };
  const ctx = { config, seed: 0, data, runDir: null, log: (m: string) => void logs.push(m) };
  const session = new AgentSession(await rssmFamily.createSession(ctx), settings, { ...ctx, heldOutFraction: 0 });
  try {
    return await session.endPhase('model', new AbortController().signal);
  } finally {
    session.dispose();
  }
}

test("an offline actor-critic run is scored in the env at its dataset's action repeat, not the online block's", async () => {
  const out = await offlineScore(undefined);
  const atData = randomReturn({ actionRepeat: 3 }, 3, 1_000_000);
  assert.equal(out.random_return, atData);
  assert.notEqual(atData, randomReturn({ actionRepeat: 5, maxSteps: 7 }, 3, 1_000_000), 'the two repeats differ');
  assert.ok(Number.isFinite(out.eval_return));
});

test('an offline agent is scored over the background its data was drawn on, or not at all when that clip is gone', async () => {
  const plain = await offlineScore(undefined);
  const noise = await offlineScore({ background: 'noise', source: null });
  // The same agent (same seed, same data) sees other frames over noise, so it acts and scores otherwise; the random
  // policy does not look, so its return is the same: what changed is the env's frames, not its dynamics.
  assert.notEqual(noise.eval_return, plain.eval_return);
  assert.equal(noise.random_return, plain.random_return);
  const logs: string[] = [];
  const gone = await offlineScore({ background: 'video', source: join(tmpdir(), 'oneiro-no-such-clip') }, logs);
  assert.equal(gone.eval_return, undefined);
  assert.equal(gone.random_return, undefined);
  assert.match(logs.join('\n'), /not scored in cartpole-swingup: .*oneiro-no-such-clip/);
});

test('oneiro eval notes in one line that a controller is not scored when the clip its data was drawn over is gone', async () => {
  const env = makeEnv(ENV, { size: SIZE, actionRepeat: 3, maxSteps: 6 });
  const held = [rolloutEpisode(env, randomPolicy(env.actionSpace, new Rng(0)), 0).episode];
  const gone = join(tmpdir(), 'oneiro-no-such-clip');
  // Only what evaluateModel reads on this path: no training frames, so no pixel measures and no probe; the
  // controller would be scored through latent() and trainedBehavior() if the env could be built.
  const model = {
    imageSize: SIZE,
    pixels: 'none',
    evaluate: async () => ({}),
    filterFeatures: () => ({ dim: 1, data: new Float32Array(held[0].imageShape[0]) }),
    latent: () => ({ imageSize: SIZE }),
    trainedBehavior: () => ({ kind: 'controller', theta: [0], actions: {}, phase: 'controller', evalEpisodes: 1 }),
    dispose: () => {},
  } as unknown as LoadedModel;
  const data = (background: TrainData['background']): TrainData => ({
    dataset: 'd',
    env: ENV,
    actionSpace: env.actionSpace,
    imageSize: SIZE,
    actionRepeat: 3,
    background,
    train: [],
    heldOut: held,
  });
  const r = await evaluateModel(model, data({ background: 'video', source: gone }), { seed: 0 });
  assert.equal(r.metrics.controller_return, undefined, 'not scored over another background');
  const note = r.notes.find((n) => n.startsWith('controller: its real-env return is not measured'));
  assert.ok(note && note.includes(gone) && !note.includes('\n'), r.notes.join(' | '));
});
