import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { subsetOf } from '../../../core/agents/actor-critic.ts';
import { randomPolicy } from '../../../core/agents/random-agents.ts';
import { rolloutEpisode } from '../../../core/agents/rollout.ts';
import { makeEnv } from '../../../core/envs/registry.ts';
import { rssmFamily } from '../../../core/models/rssm/family.ts';
import { rssmConfig } from '../../../core/models/rssm/config.ts';
import { Rng } from '../../../core/util/rng.ts';

before(async () => {
  await initBackend('wasm');
});

test('subsetOf: n distinct rows of every tensor, the same rows for the same seed, all rows for null', () => {
  const starts = { deter: tf.reshape(tf.range(0, 40), [20, 2]), stoch: tf.reshape(tf.range(100, 120), [20, 1]) };
  const rowsOf = (s: Record<string, tf.Tensor>) => Array.from(s.stoch.dataSync()).map((v) => v - 100);
  const a = subsetOf(starts, 7, 3);
  const rows = rowsOf(a.state);
  assert.equal(rows.length, 7);
  assert.equal(new Set(rows).size, 7, `distinct rows (${rows})`);
  assert.ok(rows.every((r) => r >= 0 && r < 20));
  // deter and stoch are gathered with the same rows.
  assert.deepEqual(
    Array.from(a.state.deter.dataSync()),
    rows.flatMap((r) => [2 * r, 2 * r + 1]),
  );
  const b = subsetOf(starts, 7, 3);
  assert.deepEqual(rowsOf(b.state), rows, 'same seed, same rows');
  const c = subsetOf(starts, 7, 4);
  assert.notDeepEqual(rowsOf(c.state), rows, 'another seed, other rows');
  for (const x of [a, b, c]) tf.dispose(x.owned);
  const all = subsetOf(starts, null, 3);
  assert.equal(all.state, starts);
  assert.equal(all.owned.length, 0);
  assert.equal(subsetOf(starts, 20, 3).state, starts, 'n >= rows: all of them');
  tf.dispose(Object.values(starts));
});

test("rssm start states are the last train step's posterior (no second pass over a batch), once; tensors flat", async () => {
  const env = makeEnv('cartpole-swingup', { size: 32, maxSteps: 20 });
  const eps = [0, 1].map((s) => rolloutEpisode(env, randomPolicy(env.actionSpace, new Rng(s)), s).episode);
  const config = rssmConfig('debug');
  const session = await rssmFamily.createSession({
    config,
    seed: 0,
    data: {
      dataset: null,
      env: 'cartpole-swingup',
      actionSpace: env.actionSpace,
      imageSize: 32,
      train: eps,
      heldOut: [],
    },
    runDir: null,
    log: () => {},
  });
  const n = config.train.batch * config.train.length;
  const signal = new AbortController().signal;
  const cycle = async (i: number) => {
    const rep = await session.step({ phase: 'model', step: i, globalStep: i, rng: new Rng(i), poison: false, signal });
    assert.equal(rep.applied, true);
    // Handed over: drawing no batch, so the Rng is untouched.
    const r = new Rng(99);
    const kept = session.startStates!(r);
    assert.equal(r.int(2 ** 31), new Rng(99).int(2 ** 31), 'the kept posterior is used: no batch drawn');
    assert.deepEqual(kept.deter.shape, [n, config.rssm.deter]);
    assert.deepEqual(kept.stoch.shape, [n, 8]);
    tf.dispose(Object.values(kept));
    // Taken once: the next call observes a fresh batch (drawn from the Rng).
    const r2 = new Rng(99);
    const fresh = session.startStates!(r2);
    assert.notEqual(r2.int(2 ** 31), new Rng(99).int(2 ** 31), 'without a kept posterior a batch is drawn');
    assert.deepEqual(fresh.deter.shape, [n, config.rssm.deter]);
    tf.dispose(Object.values(fresh));
  };
  await cycle(0);
  const count = tf.memory().numTensors;
  for (let i = 1; i < 4; i++) await cycle(i);
  // A step whose posterior is never taken frees it at the next step.
  await session.step({ phase: 'model', step: 4, globalStep: 4, rng: new Rng(4), poison: false, signal });
  await session.step({ phase: 'model', step: 5, globalStep: 5, rng: new Rng(5), poison: false, signal });
  const kept = session.startStates!(new Rng(1));
  tf.dispose(Object.values(kept));
  assert.equal(tf.memory().numTensors, count, 'no tensor leaks across steps and hand-overs');
  session.dispose();
});
