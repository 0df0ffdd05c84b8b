import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { makeEnv } from '../../../core/envs/registry.ts';
import { randomPolicy } from '../../../core/agents/random-agents.ts';
import { rolloutEpisode } from '../../../core/agents/rollout.ts';
import { Rng } from '../../../core/util/rng.ts';
import { ObjectGraphModel } from '../../../core/models/object-graph/model.ts';
import { objectView, retrievePrediction } from '../../../core/models/object-graph/object-view.ts';
import { resolveObjectGraphConfigFor } from './helpers.ts';

before(async () => {
  await initBackend();
});

const episodes = () => {
  const env = makeEnv('shapes-2d', { size: 50, maxSteps: 6 });
  return [0, 1, 2].map((i) => rolloutEpisode(env, randomPolicy(env.actionSpace, new Rng(i)), i).episode);
};

test('object view: one mask per slot in [0, 1], slot states, edge strengths with a zero diagonal', () => {
  const m = new ObjectGraphModel(resolveObjectGraphConfigFor({}), { kind: 'discrete', n: 20 }, 0);
  const eps = episodes();
  const before = tf.memory().numTensors;
  const v = objectView(m, eps[0], 2);
  assert.equal(tf.memory().numTensors, before);
  assert.equal(v.masks.length, 5 * 5 * 5);
  assert.ok(v.masks.every((x) => x > 0 && x < 1));
  const z = m.encodeEpisode(eps[0]);
  assert.deepEqual(Array.from(v.slots), Array.from(z.slice(2 * 10, 3 * 10)));
  for (let i = 0; i < 5; i++)
    for (let j = 0; j < 5; j++) {
      const e = v.edges[i * 5 + j];
      if (i === j) assert.equal(e, 0, 'no self-loop');
      else assert.ok(e > 0, `edge ${i}←${j} carries a message`);
    }
  m.dispose();
});

test('retrieval: the true frame’s rank counts the candidate frames strictly closer to the prediction', () => {
  const m = new ObjectGraphModel(resolveObjectGraphConfigFor({}), { kind: 'discrete', n: 20 }, 0);
  const eps = episodes();
  const enc = eps.map((e) => m.encodeEpisode(e));
  const before = tf.memory().numTensors;
  const r = retrievePrediction(m, eps, enc, 1, 2, 3);
  assert.equal(tf.memory().numTensors, before);
  // The prediction computed independently: z_2 + three transitions under the episode's actions 3, 4, 5.
  const p = tf.tidy(() => {
    let z = m.encode(eps[1].image.subarray(2 * 7500, 3 * 7500), 1);
    for (let t = 3; t <= 5; t++) z = m.next(z, tf.tensor2d(eps[1].action.slice(t * 20, (t + 1) * 20), [1, 20]));
    return z.dataSync();
  });
  const d = (e: number, row: number) =>
    enc[e].slice(row * 10, row * 10 + 10).reduce((s, x, i) => s + (x - p[i]) ** 2, 0);
  const all = enc.flatMap((x, e) => Array.from({ length: x.length / 10 }, (_, row) => ({ e, row, d: d(e, row) })));
  assert.equal(r.candidates, all.length);
  assert.equal(r.trueRank, all.filter((c) => c.d < d(1, 5)).length);
  const min = all.reduce((a, b) => (b.d < a.d ? b : a));
  assert.deepEqual(r.nearest, { episode: min.e, row: min.row });
  m.dispose();
});
