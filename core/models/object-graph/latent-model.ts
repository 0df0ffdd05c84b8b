import * as tf from '@tensorflow/tfjs-core';
import type { Imagined, LatentPolicy, LatentState, LatentWorldModel } from '../latent-world-model.ts';
import type { Space } from '../../envs/types.ts';
import type { ObjectGraphModel } from './model.ts';
import { energy } from './losses.ts';
import { transition } from './networks.ts';

/**
 * C-SWM behind the behaviours' interface. The state is the K slot states `z` [N, K, D]; C-SWM is Markov in
 * single frames, so `observe` encodes the new frame and ignores the previous state. It has no reward or
 * continuation head (2D Shapes pays 0 everywhere): `reward` is 0 and a behaviour plans toward a goal frame with
 * `goalCost` instead (the energy between a predicted state and the goal's encoding).
 */
export class ObjectGraphLatentModel implements LatentWorldModel {
  readonly featureSize: number;
  readonly actionDim: number;
  readonly actionSpace: Space;
  readonly imageSize: number;
  readonly hasContinuation = false;
  readonly hasReward = false;

  constructor(readonly model: ObjectGraphModel) {
    this.featureSize = model.stateSize;
    this.actionDim = model.actionDim;
    this.actionSpace = model.actionSpace;
    this.imageSize = model.config.model.imageSize;
  }

  private get slots(): [number, number] {
    return [this.model.config.model.numObjects, this.model.config.model.embeddingDim];
  }

  initialState(n: number): LatentState {
    return { z: tf.zeros([n, ...this.slots]) };
  }

  observe(_prev: LatentState, _action: tf.Tensor2D, frames: Uint8Array, _sample: number | null): LatentState {
    const n = frames.length / (this.imageSize * this.imageSize * 3);
    return { z: this.model.encode(frames, n) };
  }

  observeSequences(
    frames: Uint8Array,
    actions: tf.Tensor3D,
    _isFirst: tf.Tensor2D,
    _sample: number | null,
  ): LatentState {
    const [B, T] = actions.shape;
    return { z: this.model.encode(frames, B * T) };
  }

  /** Intermediate tensors are left to the caller's tf.tidy (as the RSSM's), so behaviours can backpropagate. */
  imagine(start: LatentState, policy: LatentPolicy, horizon: number, _sample: number | null): Imagined {
    let z = start.z as tf.Tensor3D;
    const feats: tf.Tensor2D[] = [this.features({ z })];
    const acts: tf.Tensor2D[] = [];
    for (let t = 0; t < horizon; t++) {
      const a = policy(feats[t], t);
      acts.push(a);
      z = tf.add(z, transition(this.model.og, this.model.config, z, a));
      feats.push(this.features({ z }));
    }
    return {
      features: tf.stack(feats) as tf.Tensor3D,
      actions: (acts.length ? tf.stack(acts) : tf.zeros([0, z.shape[0], this.actionDim])) as tf.Tensor3D,
      last: { z: horizon ? z : tf.clone(z) },
    };
  }

  features(state: LatentState): tf.Tensor2D {
    return tf.reshape(state.z, [state.z.shape[0], this.featureSize]) as tf.Tensor2D;
  }

  reward(features: tf.Tensor2D): tf.Tensor1D {
    return tf.zeros([features.shape[0]]);
  }

  continuation(features: tf.Tensor2D): tf.Tensor1D {
    return tf.ones([features.shape[0]]);
  }

  /** Energy d(state, goal) per row of features [N, F] against one goal state's features [1, F] (lower = closer). */
  goalCost(features: tf.Tensor2D, goal: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => {
      const [K, D] = this.slots;
      const n = features.shape[0];
      const a = tf.reshape(features, [n, K, D]) as tf.Tensor3D;
      const b = tf.tile(tf.reshape(goal, [1, K, D]), [n, 1, 1]) as tf.Tensor3D;
      return energy(a, b, this.model.config.loss.sigma);
    });
  }

  disposeState(state: LatentState): void {
    tf.dispose(Object.values(state));
  }
}
