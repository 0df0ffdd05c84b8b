import * as tf from '@tensorflow/tfjs-core';
import type { LatentState } from '../../../core/models/latent-world-model.ts';
import { PointWorld } from './point-world.ts';

/**
 * The point world (point-world.ts) as a goal-reaching world for LEXA's achiever: features are [x, y, 1] (the
 * constant makes the cosine between two feature vectors peak only where the positions coincide), the goal
 * embedding of a goal is its position, the goal features are [gx, gy, 1], and the stochastic part is the
 * position. It has no reward head of its own (the achiever brings its reward).
 */
export class GoalWorld extends PointWorld {
  override readonly featureSize: number = 3;
  readonly embedSize = 2;

  constructor() {
    super(false, 0.25);
  }

  private lift(pos: tf.Tensor2D): tf.Tensor2D {
    return tf.concat([pos, tf.ones([pos.shape[0], 1])], -1) as tf.Tensor2D;
  }

  override imagine(start: LatentState, policy: (f: tf.Tensor2D, t: number) => tf.Tensor2D, horizon: number) {
    const im = super.imagine(start, (p, t) => policy(this.lift(p), t), horizon);
    const [t1, n] = im.features.shape;
    const lifted = tf.concat([im.features, tf.ones([t1, n, 1])], -1) as tf.Tensor3D;
    im.features.dispose();
    return { ...im, features: lifted };
  }

  override features(state: LatentState): tf.Tensor2D {
    return this.lift(state.pos as tf.Tensor2D);
  }

  embed(): tf.Tensor2D {
    throw new Error('the goal world has no frames: give goal positions as embeddings');
  }

  goalFeatures(embed: tf.Tensor2D): tf.Tensor2D {
    return this.lift(embed);
  }

  stochastic(feat: tf.Tensor2D): tf.Tensor2D {
    return tf.slice(feat, [0, 0], [-1, 2]);
  }
}
