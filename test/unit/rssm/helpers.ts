import * as tf from '@tensorflow/tfjs-core';
import type { SeqBatch } from '../../../core/models/rssm/world-model.ts';
import type { Rng } from '../../../core/util/rng.ts';

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

/** A 16×16 frame with a 3×3 dot moving on a torus: velocity += action; predictable many steps ahead. */
export function dotBatch(b: number, t: number, rng: Rng): SeqBatch {
  const S = 16;
  const image = new Float32Array(b * t * S * S * 3).fill(-0.5);
  const action = new Float32Array(b * t);
  const isFirstHost = new Uint8Array(b * t);
  for (let i = 0; i < b; i++) {
    let x = rng.uniform(0, S),
      y = rng.uniform(0, S),
      vx = rng.uniform(-1, 1);
    const vy = rng.uniform(-1, 1);
    isFirstHost[i * t] = 1;
    for (let j = 0; j < t; j++) {
      if (j > 0) {
        const a = rng.uniform(-1, 1);
        action[i * t + j] = a;
        vx = Math.max(-1.5, Math.min(1.5, vx + 0.5 * a));
        x = (x + vx + S) % S;
        y = (y + vy + S) % S;
      }
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const px = (Math.floor(x) + dx + S) % S,
            py = (Math.floor(y) + dy + S) % S;
          for (let c = 0; c < 3; c++) image[(((i * t + j) * S + py) * S + px) * 3 + c] = 0.5;
        }
      }
    }
  }
  return {
    image: tf.tensor(image, [b, t, S, S, 3]),
    action: tf.tensor3d(action, [b, t, 1]),
    reward: tf.zeros([b, t]) as tf.Tensor2D,
    cont: tf.ones([b, t]) as tf.Tensor2D,
    isFirst: tf.tensor2d(Float32Array.from(isFirstHost), [b, t]),
    isFirstHost,
  };
}
