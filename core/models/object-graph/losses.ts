import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../util/rng.ts';

/**
 * C-SWM's contrastive objective (Kipf et al. 2020, eq. 5; tkipf/c-swm modules.py `energy`, `contrastive_loss`):
 *   d(z, z') = 1/(2σ²) · (1/K) Σ_k ‖z_k − z'_k‖²
 *   L = mean_b d(z_t + Δz_t, z_{t+1}) + mean_b max(0, γ − d(z_t, z̃_t))
 * with the negative z̃ the current state of another transition of the batch (`state[perm]`, a random
 * permutation, which may map a transition to itself as np.random.permutation does).
 */

/** d(a, b) per batch row: [B, K, D] × [B, K, D] → [B]. */
export function energy(a: tf.Tensor3D, b: tf.Tensor3D, sigma: number): tf.Tensor1D {
  return tf.tidy(() => tf.mul(tf.mean(tf.sum(tf.square(tf.sub(a, b)), 2), 1), 0.5 / (sigma * sigma)) as tf.Tensor1D);
}

/** A uniform random permutation of 0 … n−1 (Fisher–Yates with the step's Rng). */
export function randomPermutation(n: number, rng: Rng): Int32Array {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/**
 * Rows of z reordered by `perm` (row i ← z[perm[i]]), as a product with a one-hot permutation matrix so the
 * gradient flows back to every encoded state through plain matMul (no gather gradient needed on wasm).
 */
export function permuteRows(z: tf.Tensor3D, perm: Int32Array): tf.Tensor3D {
  return tf.tidy(() => {
    const [B, K, D] = z.shape;
    const m = new Float32Array(B * B);
    for (let i = 0; i < B; i++) m[i * B + perm[i]] = 1;
    return tf.reshape(tf.matMul(tf.tensor2d(m, [B, B]), tf.reshape(z, [B, K * D])), [B, K, D]) as tf.Tensor3D;
  });
}

export interface ContrastiveTerms {
  loss: tf.Scalar;
  positive: tf.Scalar;
  negative: tf.Scalar;
  /**
   * mean_b d(z_t, z_{t+1}): the positive energy of copying the state (Δz = 0). Not part of the loss; a positive
   * term that stays at this value means the transition predicts nothing the encoder did not already give.
   */
  copy: tf.Scalar;
}

/** The hinge loss from encoded states z_t, predicted Δz_t, encoded z_{t+1} and the negatives' permutation. */
export function contrastiveLoss(
  z: tf.Tensor3D,
  delta: tf.Tensor3D,
  zNext: tf.Tensor3D,
  perm: Int32Array,
  sigma: number,
  hinge: number,
): ContrastiveTerms {
  return tf.tidy(() => {
    const positive = tf.mean(energy(tf.add(z, delta), zNext, sigma)) as tf.Scalar;
    const negative = tf.mean(tf.relu(tf.sub(hinge, energy(z, permuteRows(z, perm), sigma)))) as tf.Scalar;
    const copy = tf.mean(energy(z, zNext, sigma)) as tf.Scalar;
    return { loss: tf.add(positive, negative) as tf.Scalar, positive, negative, copy };
  });
}
