import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { goalCemPlan } from '../../../core/agents/goal-cem.ts';
import type { Imagined, LatentPolicy, LatentState, LatentWorldModel } from '../../../core/models/latent-world-model.ts';
import { Rng } from '../../../core/util/rng.ts';

before(async () => {
  await initBackend();
});

/**
 * A known world: two coordinates (x, y); actions 0 = x+1, 1 = x−1, 2 = y+1, 3 = y−1, 4 = stay. The features are
 * the coordinates, so the best plan toward a goal is known.
 */
class GridModel implements LatentWorldModel {
  readonly featureSize = 2;
  readonly actionDim = 5;
  readonly actionSpace = { kind: 'discrete' as const, n: 5 };
  readonly imageSize = 8;
  readonly hasContinuation = false;
  private readonly moves = tf.tensor2d([1, 0, -1, 0, 0, 1, 0, -1, 0, 0], [5, 2]);
  initialState(n: number): LatentState {
    return { p: tf.zeros([n, 2]) };
  }
  observe(): LatentState {
    throw new Error('unused');
  }
  observeSequences(): LatentState {
    throw new Error('unused');
  }
  imagine(start: LatentState, policy: LatentPolicy, horizon: number): Imagined {
    return tf.tidy(() => {
      let p = start.p as tf.Tensor2D;
      const fs: tf.Tensor2D[] = [p];
      const as: tf.Tensor2D[] = [];
      for (let t = 0; t < horizon; t++) {
        const a = policy(p, t);
        as.push(a);
        p = tf.add(p, tf.matMul(a, this.moves));
        fs.push(p);
      }
      return { features: tf.stack(fs) as tf.Tensor3D, actions: tf.stack(as) as tf.Tensor3D, last: { p } };
    });
  }
  features(s: LatentState): tf.Tensor2D {
    return tf.clone(s.p) as tf.Tensor2D;
  }
  reward(f: tf.Tensor2D): tf.Tensor1D {
    return tf.zeros([f.shape[0]]);
  }
  continuation(f: tf.Tensor2D): tf.Tensor1D {
    return tf.ones([f.shape[0]]);
  }
  disposeState(s: LatentState): void {
    tf.dispose(Object.values(s));
  }
}

test('goal CEM over discrete sequences finds a plan that reaches the goal, and acts on its first step', () => {
  const wm = new GridModel();
  const state = wm.initialState(1);
  // 9 moves away: a uniformly random 10-step sequence passes through it with probability ≈ 1e-4, so only the
  // elite refit gets there.
  const goal = tf.tensor2d([[5, -4]]);
  const before = tf.memory().numTensors;
  const plan = goalCemPlan(wm, state, goal, { horizon: 10, candidates: 100, topK: 10, iterations: 10 }, new Rng(3));
  assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
  assert.equal(plan.cost, 0, 'the best sequence reaches the goal exactly');
  assert.equal(plan.action, plan.sequence[0], 'the action to take is the first of the best sequence');
  const pos = [0, 0];
  let reached = false;
  for (const a of plan.sequence) {
    pos[0] += a === 0 ? 1 : a === 1 ? -1 : 0;
    pos[1] += a === 2 ? 1 : a === 3 ? -1 : 0;
    if (pos[0] === 5 && pos[1] === -4) reached = true;
  }
  assert.ok(reached, `sequence ${plan.sequence} passes through the goal`);
  tf.dispose([goal, state.p]);
});
