import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../../core/tensor/backend.ts';
import { AgentSession } from '../../../core/runs/agent-session.ts';
import { EpisodeStore, isHeldOut, onlineTrainData } from '../../../core/runs/episode-store.ts';
import { ACTOR_CRITIC_DEBUG, actorCriticConfigSchema } from '../../../core/models/actor-critic-config.ts';
import type { Episode } from '../../../core/data/episode.ts';
import type { TrainSession } from '../../../core/models/family.ts';
import { Rng } from '../../../core/util/rng.ts';
import { PointWorld, randomStarts } from '../agents/point-world.ts';

before(async () => {
  await initBackend('cpu');
});

/** A family session that only records what it is given to train on (`extra` replaces any of its parts). */
function recordingSession(extra: Partial<TrainSession> = {}): TrainSession & { given: Episode[] } {
  const given: Episode[] = [];
  return {
    given,
    phases: [{ name: 'model', steps: 1, unit: 'step', headline: 'model_loss' }],
    beginPhase: async () => {},
    step: async () => ({ applied: true, metrics: {}, items: 0 }),
    endPhase: async () => ({}),
    checkpoint: () => ({ tensors: {}, state: {} }),
    restore: () => {},
    addEpisodes: (eps) => given.push(...eps),
    latent: () => null,
    dispose: () => {},
    ...extra,
  };
}

test('online prefill: held-out episodes (by id hash) are stored but never given to the model; resume reloads the same split', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'oneiro-agent-session-'));
  try {
    const inner = recordingSession();
    const settings = {
      behavior: 'cem' as const,
      planner: { horizon: 2, candidates: 4, topK: 2, iterations: 1 },
      actorCritic: ACTOR_CRITIC_DEBUG,
      online: { seedEpisodes: 10, trainEvery: 100, explorationNoise: 0.3, actionRepeat: 8, episodeSteps: 4 },
      imageSize: 16,
    };
    const s = new AgentSession(inner, settings, {
      seed: 0,
      data: onlineTrainData('cartpole-swingup', 16),
      runDir: dir,
      heldOutFraction: 0.5,
      log: () => {},
    });
    await s.beginPhase('model', new AbortController().signal);
    const files = readdirSync(join(dir, 'episodes')).sort();
    assert.equal(files.length, 10);
    const held = files.filter((f) => isHeldOut(f.slice(0, -4), 0.5));
    assert.ok(held.length > 0 && held.length < 10, `a mix (${held.length} held out)`);
    assert.equal(inner.given.length, 10 - held.length, 'only the training side reaches the model');
    // The split is a property of each id: a store over the same folder splits it the same way.
    const loaded = new EpisodeStore(dir, 0.5).load();
    assert.equal(loaded.heldOut.length, held.length);
    const key = (e: Episode) => Array.from(e.reward).join(',') + e.image.subarray(0, 64).join(',');
    const trainKeys = new Set(inner.given.map(key));
    assert.ok(
      loaded.heldOut.every((e) => !trainKeys.has(key(e))),
      'no held-out episode was trained on',
    );
    // Resume: restore reloads exactly the checkpoint's episodes, again only the training side.
    const inner2 = recordingSession();
    const s2 = new AgentSession(inner2, settings, {
      seed: 0,
      data: onlineTrainData('cartpole-swingup', 16),
      runDir: dir,
      heldOutFraction: 0.5,
      log: () => {},
    });
    s2.restore({ tensors: {}, state: { ...s.checkpoint().state } });
    assert.deepEqual(inner2.given.map(key), inner.given.map(key));
    s.dispose();
    s2.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a short online run gets one dedicated held-out episode when no prefill id hashes to held out', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'oneiro-agent-session-'));
  try {
    const inner = recordingSession();
    const settings = {
      behavior: 'cem' as const,
      planner: { horizon: 2, candidates: 4, topK: 2, iterations: 1 },
      actorCritic: ACTOR_CRITIC_DEBUG,
      online: { seedEpisodes: 5, trainEvery: 100, explorationNoise: 0.3, actionRepeat: 8, episodeSteps: 4 },
      imageSize: 16,
    };
    // At fraction 0.1 none of the ids 00000..00004-online hashes to held out (the first is number 24).
    assert.ok([0, 1, 2, 3, 4].every((i) => !isHeldOut(`0000${i}-online`, 0.1)));
    const s = new AgentSession(inner, settings, {
      seed: 0,
      data: onlineTrainData('cartpole-swingup', 16),
      runDir: dir,
      heldOutFraction: 0.1,
      log: () => {},
    });
    await s.beginPhase('model', new AbortController().signal);
    const files = readdirSync(join(dir, 'episodes')).sort();
    assert.deepEqual(files, [0, 1, 2, 3, 4].map((i) => `0000${i}-online.npz`).concat(['00005-heldout.npz']));
    assert.equal(inner.given.length, 5, 'the dedicated held-out episode never reaches the model');
    const loaded = new EpisodeStore(dir, 0.1).load();
    assert.equal(loaded.heldOut.length, 1);
    assert.equal(loaded.train.length, 5);
    // With no held-out fraction nothing is held out, and no dedicated episode is collected.
    const dir0 = join(dir, 'none');
    const s0 = new AgentSession(recordingSession(), settings, {
      seed: 0,
      data: onlineTrainData('cartpole-swingup', 16),
      runDir: dir0,
      heldOutFraction: 0,
      log: () => {},
    });
    await s0.beginPhase('model', new AbortController().signal);
    assert.equal(readdirSync(join(dir0, 'episodes')).length, 5);
    s.dispose();
    s0.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('actorCritic.startAfter: the actor-critic first learns after that many model updates, then after every one', async () => {
  const wm = new PointWorld(false);
  const inner = recordingSession({ startStates: (rng) => randomStarts(16, rng.int(1000)), latent: () => wm });
  const settings = {
    behavior: 'actor-critic' as const,
    planner: { horizon: 2, candidates: 4, topK: 2, iterations: 1 },
    actorCritic: { ...ACTOR_CRITIC_DEBUG, startAfter: 3 },
    online: { seedEpisodes: 1, trainEvery: 100, explorationNoise: 0.3, actionRepeat: 1, episodeSteps: 4 },
    imageSize: 16,
  };
  // Offline data (no env): the session only trains, it collects nothing.
  const data = { dataset: 'hand-made', env: null, actionSpace: wm.actionSpace, imageSize: 1, train: [], heldOut: [] };
  const s = new AgentSession(inner, settings, { seed: 0, data, runDir: null, heldOutFraction: 0, log: () => {} });
  const signal = new AbortController().signal;
  await s.beginPhase('model', signal);
  const learned: boolean[] = [];
  for (let step = 0; step < 6; step++) {
    const rep = await s.step({ phase: 'model', step, globalStep: step, rng: new Rng(step), poison: false, signal });
    learned.push(typeof rep.metrics.actor_loss === 'number');
  }
  assert.deepEqual(learned, [false, false, false, true, true, true]);
  s.dispose();
  // A run configured before the field existed learns from the first update.
  const { startAfter: _, ...old } = ACTOR_CRITIC_DEBUG;
  assert.equal(actorCriticConfigSchema.parse(old).startAfter, 0);
});
