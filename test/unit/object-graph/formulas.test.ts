import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { resolveObjectGraphConfigFor } from './helpers.ts';
import { ObjectGraphModel } from '../../../core/models/object-graph/model.ts';
import {
  encodeObjects,
  extractObjects,
  slotActions,
  transition,
  updateRunningStats,
  disposeMoments,
  type BatchMoments,
} from '../../../core/models/object-graph/networks.ts';
import { contrastiveLoss, energy } from '../../../core/models/object-graph/losses.ts';
import { randomRankingScores, rankPredictions } from '../../../core/models/object-graph/ranking.ts';

// Reference values computed with numpy by test/fixtures/object-graph/make_fixtures.py (independent of our code).
const F = JSON.parse(readFileSync(new URL('../../fixtures/object-graph/fixtures.json', import.meta.url), 'utf8'));
const M = F.model;

function close(actual: ArrayLike<number>, expected: number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    assert.ok(
      err <= tol * Math.max(1, Math.abs(expected[i])),
      `${what}[${i}]: got ${actual[i]}, expected ${expected[i]}`,
    );
  }
}

before(async () => {
  await initBackend();
});

/** The fixture's model: small extractor on 20 px frames, K 3, D 2, hidden 32, 4 actions per slot. */
function fixtureModel(): ObjectGraphModel {
  const c = resolveObjectGraphConfigFor({
    model: { imageSize: M.S, numObjects: M.K, embeddingDim: M.D, hiddenDim: M.H },
  });
  const model = new ObjectGraphModel(c, { kind: 'discrete', n: M.A * M.K }, 0);
  const named: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(model.og.params)) named[k] = tf.tensor(M.weights[k], v.shape);
  for (const [k, v] of Object.entries(model.og.stats)) named[`stats/${k}`] = tf.zerosLike(v);
  named['stats/ext/bn1/var'].dispose();
  named['stats/ext/bn1/var'] = tf.ones(model.og.stats['ext/bn1/var'].shape);
  model.load(named);
  tf.dispose(Object.values(named));
  return model;
}

const frames = (x: number[]) => tf.tensor4d(x, [M.B, M.S, M.S, 3]);

test('small extractor (training-mode batch norm), encoder MLP and GNN transition match numpy', () => {
  const model = fixtureModel();
  const moments: BatchMoments = [];
  const obs = frames(M.obs);
  const next = frames(M.next);
  const action = tf.tensor2d(M.action_onehot, [M.B, M.A * M.K]);
  const masks = extractObjects(model.og, model.config, obs, moments);
  close(masks.dataSync(), M.masks, 1e-4, 'masks');
  const z = encodeObjects(model.og, masks);
  close(z.dataSync(), M.z, 1e-4, 'z');
  const zn = encodeObjects(model.og, extractObjects(model.og, model.config, next, moments));
  close(zn.dataSync(), M.z_next, 1e-4, 'z_next');
  const dz = transition(model.og, model.config, z, action);
  close(dz.dataSync(), M.delta, 1e-4, 'delta z');
  updateRunningStats(model.og, moments);
  close(model.og.stats['ext/bn1/mean'].dataSync(), M.running_mean, 1e-4, 'running mean');
  close(model.og.stats['ext/bn1/var'].dataSync(), M.running_var, 1e-4, 'running var');
  disposeMoments(moments);
  tf.dispose([obs, next, action, masks, z, zn, dz]);
  model.dispose();
});

test('energy d = ½σ⁻²·mean_k‖z_k − z′_k‖² and the hinge loss with batch negatives match numpy', () => {
  const shape: [number, number, number] = [M.B, M.K, M.D];
  const z = tf.tensor3d(M.z, shape);
  const zn = tf.tensor3d(M.z_next, shape);
  const dz = tf.tensor3d(M.delta, shape);
  const pos = energy(tf.add(z, dz) as tf.Tensor3D, zn, M.sigma);
  close(pos.dataSync(), M.energy_pos, 1e-5, 'positive energy');
  const perm = Int32Array.from(M.perm as number[]);
  const t = contrastiveLoss(z, dz, zn, perm, M.sigma, M.hinge);
  close([t.positive.dataSync()[0]], [M.positive], 1e-5, 'positive term');
  close([t.negative.dataSync()[0]], [M.negative], 1e-5, 'negative term');
  close([t.loss.dataSync()[0]], [M.loss], 1e-5, 'loss');
  // The copy-state term (not in the loss): the positive energy with Δz = 0, i.e. mean_b d(z_t, z_{t+1}).
  close([t.copy.dataSync()[0]], [M.copy], 1e-5, 'copy-state energy');
  tf.dispose([z, zn, dz, pos, t.loss, t.positive, t.negative, t.copy]);
});

test('per-object action split: action k·A + a is one-hot a in slot k only (to_one_hot(a, A·K).view(-1, A))', () => {
  const c = resolveObjectGraphConfigFor({
    model: { imageSize: M.S, numObjects: M.K, embeddingDim: M.D, hiddenDim: M.H },
  });
  const a = tf.tensor2d(M.action_onehot, [M.B, M.A * M.K]);
  const s = slotActions(c, a)!;
  assert.deepEqual(s.shape, [M.B, M.K, M.A]);
  close(s.dataSync(), M.slot_actions, 0, 'slot actions');
  tf.dispose([a, s]);
});

test('copy-action variant: every slot gets the whole one-hot action', () => {
  const C = F.copy_action;
  const c = resolveObjectGraphConfigFor({ model: { numObjects: C.K, actionMode: 'copy' } });
  const a = tf.tensor2d(C.action_onehot, [3, 5]);
  const s = slotActions(c, a)!;
  assert.deepEqual(s.shape, [3, C.K, 5]);
  close(s.dataSync(), C.slot_actions, 0, 'copy actions');
  tf.dispose([a, s]);
});

test('Hits@1 and MRR rank ties in the sample’s favour, as eval.py’s stable lexsort (hand-made ranking)', () => {
  for (const key of ['ranking', 'ranking_random']) {
    const R = F[key];
    const n = R.pred.length;
    const f = R.pred[0].length;
    const r = rankPredictions((R.pred as number[][]).flat(), (R.truth as number[][]).flat(), n, f);
    assert.deepEqual(Array.from(r.ranks), R.ranks, `${key}: ranks`);
    close([r.hitsAt1, r.mrr], [R.hits_at_1, R.mrr], 1e-9, `${key}: hits, mrr`);
  }
});

test('random-ranking baseline: Hits@1 = 1/N and MRR = H_N/N (in %)', () => {
  const r = randomRankingScores(4);
  close([r.hitsAt1, r.mrr], [25, (100 * (1 + 1 / 2 + 1 / 3 + 1 / 4)) / 4], 1e-12, 'random ranking');
});
