import * as tf from '@tensorflow/tfjs-core';
import type { Space } from '../../../core/envs/types.ts';
import type { Imagined, LatentPolicy, LatentState, LatentWorldModel } from '../../../core/models/latent-world-model.ts';
import type { ActorCritic } from '../../../core/agents/actor-critic.ts';
import { Rng } from '../../../core/util/rng.ts';

/**
 * A hand-made latent world model with known dynamics and reward: a point in the plane that must reach a
 * target. State = features = position [N, 2], kept in the box [−1.5, 1.5]² (so a critic is never asked about
 * places it has not seen). Continuous: p' = p + step·a, a ∈ [−1, 1]². Discrete: four one-hot moves (±x, ±y) of
 * `step`. Reward on arriving = exp(−4·|p' − target|²). No terminal states.
 */
export const TARGET = [0.8, -0.6];

export class PointWorld implements LatentWorldModel {
  readonly featureSize: number = 2;
  readonly imageSize = 1;
  readonly hasContinuation = false;
  readonly actionDim: number;
  readonly actionSpace: Space;

  constructor(
    readonly discrete = false,
    readonly step = 0.25,
  ) {
    this.actionSpace = discrete ? { kind: 'discrete', n: 4 } : { kind: 'box', shape: [2], low: [-1, -1], high: [1, 1] };
    this.actionDim = discrete ? 4 : 2;
  }

  initialState(n: number): LatentState {
    return { pos: tf.zeros([n, 2]) };
  }

  observe(prev: LatentState): LatentState {
    return { pos: tf.clone(prev.pos) };
  }

  observeSequences(): LatentState {
    throw new Error('the point world has no observations');
  }

  private move(a: tf.Tensor2D): tf.Tensor2D {
    if (!this.discrete) return tf.mul(tf.clipByValue(a, -1, 1), this.step);
    // one-hot [N, 4] → displacement: columns (+x, −x, +y, −y)
    const m = tf.tensor2d([1, 0, -1, 0, 0, 1, 0, -1], [4, 2]);
    return tf.mul(tf.matMul(a, m), this.step) as tf.Tensor2D;
  }

  imagine(start: LatentState, policy: LatentPolicy, horizon: number): Imagined {
    let pos = start.pos as tf.Tensor2D;
    const feats: tf.Tensor2D[] = [pos];
    const acts: tf.Tensor2D[] = [];
    for (let t = 0; t < horizon; t++) {
      const a = policy(pos, t);
      acts.push(a);
      pos = tf.clipByValue(tf.add(pos, this.move(a)), -1.5, 1.5) as tf.Tensor2D;
      feats.push(pos);
    }
    return { features: tf.stack(feats) as tf.Tensor3D, actions: tf.stack(acts) as tf.Tensor3D, last: { pos } };
  }

  features(state: LatentState): tf.Tensor2D {
    return tf.clone(state.pos) as tf.Tensor2D;
  }

  reward(feat: tf.Tensor2D): tf.Tensor1D {
    return tf.exp(tf.mul(tf.sum(tf.square(tf.sub(feat, tf.tensor1d(TARGET))), -1), -4)) as tf.Tensor1D;
  }

  continuation(feat: tf.Tensor2D): tf.Tensor1D {
    return tf.ones([feat.shape[0]]);
  }

  disposeState(state: LatentState): void {
    tf.dispose(Object.values(state));
  }
}

/** Start positions uniform in [−1, 1]² (seeded). */
export function randomStarts(n: number, seed: number): LatentState {
  return { pos: tf.randomUniform([n, 2], -1, 1, 'float32', seed) };
}

/** Mean predicted reward per step over `horizon` steps from `starts` under `policy`. */
export function meanReward(wm: PointWorld, starts: LatentState, policy: LatentPolicy, horizon: number): number {
  return tf.tidy(() => {
    const im = wm.imagine(starts, policy, horizon);
    const [t1, n] = im.features.shape;
    const r = wm.reward(tf.reshape(tf.slice(im.features, [1, 0, 0], [t1 - 1, n, 2]), [-1, 2]) as tf.Tensor2D);
    return tf.mean(r).dataSync()[0];
  });
}

/** `updates` behaviour updates on 64 random starts each (seeded); the metrics of each update. */
export function trainBehavior(b: ActorCritic, wm: PointWorld, updates: number, seed: number): Record<string, number>[] {
  const out: Record<string, number>[] = [];
  const rng = new Rng(seed);
  for (let i = 0; i < updates; i++) {
    const starts = randomStarts(64, rng.int(2 ** 31));
    try {
      out.push(b.update(wm, starts, rng.int(2 ** 31)).metrics);
    } finally {
      wm.disposeState(starts);
    }
  }
  return out;
}
