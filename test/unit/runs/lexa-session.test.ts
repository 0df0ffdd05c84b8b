import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { AgentSession, envOptionsOf } from '../../../core/runs/agent-session.ts';
import { onlineTrainData } from '../../../core/runs/episode-store.ts';
import { readEpisodeFile, writeEpisode } from '../../../core/data/episode-file.ts';
import { episodeTag } from '../../../core/agents/episode-tags.ts';
import { rolloutEpisode } from '../../../core/agents/rollout.ts';
import { randomPolicy } from '../../../core/agents/random-agents.ts';
import { makeEnv } from '../../../core/envs/registry.ts';
import { rssmFamily } from '../../../core/models/rssm/family.ts';
import { rssmConfig } from '../../../core/models/rssm/config.ts';
import { Lexa } from '../../../core/agents/lexa.ts';
import { evaluateGoals, formatGoalReport } from '../../../core/runs/goal-eval.ts';
import { achieverOf, goalDream } from '../../../core/runs/goal-dream.ts';
import { Rng } from '../../../core/util/rng.ts';

before(async () => {
  await initBackend('cpu');
});

const SIZE = 32;

async function lexaSession(dir: string) {
  const config = rssmConfig('debug', {
    behavior: 'lexa',
    train: { batch: 4, length: 6 },
    online: { seedEpisodes: 3, trainEvery: 1, actionRepeat: 1, episodeSteps: 8 },
  });
  const data = onlineTrainData('point-goals', SIZE);
  const inner = await rssmFamily.createSession({ config, seed: 0, data, runDir: dir, log: () => {} });
  const settings = rssmFamily.agentSettings!(config)!;
  return {
    settings,
    session: new AgentSession(inner, settings, { seed: 0, data, runDir: dir, heldOutFraction: 0, log: () => {} }),
  };
}

test('LEXA online: explorer and achiever take turns per episode (expl_every_ep 2), each file records who acted and the goal', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'oneiro-lexa-session-'));
  try {
    const { session } = await lexaSession(dir);
    await session.beginPhase('model', new AbortController().signal);
    let n0 = 0;
    const signal = new AbortController().signal;
    for (let step = 1; step <= 4; step++) {
      const rep = await session.step({
        phase: 'model',
        step,
        globalStep: step,
        rng: new Rng(step),
        poison: false,
        signal,
      });
      assert.ok(rep.applied, rep.reason);
      assert.ok(Number.isFinite(rep.metrics.expl_ensemble_loss), 'the explorer trained its ensemble');
      assert.ok(Number.isFinite(rep.metrics.ach_imag_reward), 'the achiever trained towards replay goals');
      // The behaviour exists from step 1, the achiever's goal from its first turn (step 2) on.
      if (step === 2) n0 = tf.memory().numTensors;
    }
    assert.equal(tf.memory().numTensors, n0, 'numTensors flat over session steps');
    const files = readdirSync(join(dir, 'episodes')).sort();
    assert.equal(files.length, 7);
    const eps = files.map((f) => readEpisodeFile(join(dir, 'episodes', f)));
    const tags = eps.map((e) => episodeTag(e));
    assert.deepEqual(
      tags.map((t) => t?.actor),
      ['random', 'random', 'random', 'explorer', 'achiever', 'achiever', 'explorer'],
      'EveryNCalls(2): explorer on episode 1, 4, …',
    );
    const px = SIZE * SIZE * 3;
    const frames = new Set(
      eps
        .slice(0, 4)
        .flatMap((e) =>
          Array.from({ length: e.imageShape[0] }, (_, t) => e.image.slice(t * px, (t + 1) * px).join(',')),
        ),
    );
    for (const [i, t] of tags.entries()) {
      if (t?.actor !== 'achiever') assert.equal(t?.goalImage ?? null, null, `episode ${i}: no goal`);
      else
        assert.ok(
          t.goalImage && frames.has(t.goalImage.join(',')),
          `episode ${i}: its goal is a frame of an earlier episode`,
        );
    }
    const b = eps[4].extra!.behavior;
    assert.deepEqual([b.dtype, b.shape], ['<i4', [eps[4].imageShape[0]]], 'one row per step, as Dreamer extra keys');
    session.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Dreamer-layout episodes without tags still load (no actor recorded)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'oneiro-lexa-tags-'));
  try {
    const env = makeEnv('point-goals', { size: 16, maxSteps: 5 });
    const { episode } = rolloutEpisode(env, randomPolicy(env.actionSpace, new Rng(1)), 1);
    writeEpisode(join(dir, 'plain.npz'), episode);
    const back = readEpisodeFile(join(dir, 'plain.npz'));
    assert.equal(episodeTag(back), null);
    assert.deepEqual(Array.from(back.image), Array.from(episode.image));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('oneiro eval --goals: a row per point-goals goal for the achiever, the explorer and random; non-LEXA behaviours are refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'oneiro-lexa-goals-'));
  try {
    const { session, settings } = await lexaSession(dir);
    await session.beginPhase('model', new AbortController().signal);
    const wm = session.latent()!;
    const lexa = new Lexa(settings.lexa!, wm, 1);
    const r = evaluateGoals('point-goals', { ...envOptionsOf(settings), maxSteps: 5 }, wm, lexa, 1, 9);
    assert.equal(r.rows.length, 8);
    for (const row of r.rows)
      for (const v of [row.achiever, row.explorer, row.random]) assert.ok(v === 0 || v === 1, `${row.goal}: ${v}`);
    assert.match(formatGoalReport(r), /overall/);
    assert.throws(
      () => evaluateGoals('point-goals', envOptionsOf(settings), wm, lexa.explorer, 1, 9),
      /needs a run trained with behavior 'lexa'/,
    );
    assert.throws(() => evaluateGoals('cartpole-swingup', envOptionsOf(settings), wm, lexa, 1, 9), /has no goal list/);
    lexa.dispose();
    session.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('goal dream: the achiever imagines towards a goal frame; distance per step, ≈0 when the context frame is the goal', async () => {
  const config = rssmConfig('debug', { behavior: 'lexa', lexa: { achiever: { reward: 'temporal' } } });
  const data = onlineTrainData('point-goals', SIZE);
  const inner = await rssmFamily.createSession({ config, seed: 0, data, runDir: null, log: () => {} });
  const settings = rssmFamily.agentSettings!(config)!;
  const wm = inner.latent!()!;
  const lexa = new Lexa(settings.lexa!, wm, 1);
  const env = makeEnv('point-goals', { size: SIZE });
  const goal = env.goals!()[2].image;
  const start = env.reset(5).image;
  const n0 = tf.memory().numTensors;
  const H = 6;
  const d = goalDream(wm, achieverOf(lexa), start, new Float32Array(wm.actionDim), goal, H);
  assert.equal(tf.memory().numTensors, n0, 'no tensors left behind');
  assert.equal(d.frames.length, (H + 1) * SIZE * SIZE * 3);
  assert.equal(d.cosineDistance.length, H + 1);
  assert.equal(d.temporalDistance?.length, H + 1);
  assert.ok(d.cosineDistance[0] > 1e-4, 'another frame is not at distance 0');
  // From the initial state with a zero action, filtering the goal frame is exactly how goal features are made.
  const same = goalDream(wm, achieverOf(lexa), goal, new Float32Array(wm.actionDim), goal, H);
  assert.ok(Math.abs(same.cosineDistance[0]) < 1e-5, `distance to itself ${same.cosineDistance[0]}`);
  assert.throws(() => achieverOf(lexa.explorer), /has no achiever/);
  assert.throws(
    () => goalDream(wm, lexa.achiever, start, new Float32Array(wm.actionDim), goal.subarray(1), H),
    /do not fit/,
  );
  lexa.dispose();
  inner.dispose();
});
