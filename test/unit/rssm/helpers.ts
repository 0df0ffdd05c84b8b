import * as tf from '@tensorflow/tfjs-core';
import type { SeqBatch } from '../../../core/models/rssm/world-model.ts';

/** A random batch of sequences (B, T, size): every sequence starts an episode at t = 0. */
export function randomBatch(b: number, t: number, size: number, actionDim = 1, seed = 1): SeqBatch {
  const isFirstHost = new Uint8Array(b * t);
  for (let i = 0; i < b; i++) isFirstHost[i * t] = 1;
  return {
    image: tf.randomUniform([b, t, size, size, 3], -0.5, 0.5, 'float32', seed),
    action: tf.randomUniform([b, t, actionDim], -1, 1, 'float32', seed + 1) as tf.Tensor3D,
    reward: tf.randomNormal([b, t], 0, 1, 'float32', seed + 2) as tf.Tensor2D,
    cont: tf.ones([b, t]) as tf.Tensor2D,
    isFirst: tf.tensor2d(Array.from(isFirstHost), [b, t]),
    isFirstHost,
  };
}

export function disposeBatch(batch: SeqBatch): void {
  tf.dispose([batch.image, batch.action, batch.reward, batch.cont, batch.isFirst]);
}
