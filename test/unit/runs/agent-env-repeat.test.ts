import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../../core/tensor/backend.ts';
import { AgentSession, envOptionsOf } from '../../../core/runs/agent-session.ts';
import { rolloutEpisode } from '../../../core/agents/rollout.ts';
import { randomPolicy } from '../../../core/agents/random-agents.ts';
import { makeEnv } from '../../../core/envs/registry.ts';
import { rssmFamily } from '../../../core/models/rssm/family.ts';
import { rssmConfig } from '../../../core/models/rssm/config.ts';
import type { TrainData } from '../../../core/models/family.ts';
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

test('envOptionsOf: on a dataset the agent acts at the repeat its episodes were collected at (the online block ignored)', () => {
  assert.deepEqual(
    envOptionsOf(settings),
    { size: SIZE, actionRepeat: 5, maxSteps: 7, background: 'plain' },
    'online: the schedule',
  );
  assert.deepEqual(envOptionsOf(settings, 3), { size: SIZE, actionRepeat: 3 });
  assert.deepEqual(envOptionsOf(settings, null), { size: SIZE }, "no recorded repeat: the env's own, and its length");
});

test("an offline actor-critic run is scored in the env at its dataset's action repeat, not the online block's", async () => {
  const env = makeEnv(ENV, { size: SIZE, actionRepeat: 3, maxSteps: 6 });
  const eps = [0, 1, 2].map((i) => rolloutEpisode(env, randomPolicy(env.actionSpace, new Rng(i)), i).episode);
  const data: TrainData = {
    dataset: 'd',
    env: ENV,
    actionSpace: env.actionSpace,
    imageSize: SIZE,
    actionRepeat: 3,
    train: eps.slice(0, 2),
    heldOut: eps.slice(2),
  };
  const ctx = { config, seed: 0, data, runDir: null, log: () => {} };
  const session = new AgentSession(await rssmFamily.createSession(ctx), settings, {
    ...ctx,
    heldOutFraction: 0,
  });
  try {
    const out = await session.endPhase('model', new AbortController().signal);
    const atData = randomReturn({ actionRepeat: 3 }, 3, 1_000_000);
    assert.equal(out.random_return, atData);
    assert.notEqual(atData, randomReturn({ actionRepeat: 5, maxSteps: 7 }, 3, 1_000_000), 'the two repeats differ');
    assert.ok(Number.isFinite(out.eval_return));
  } finally {
    session.dispose();
  }
});
