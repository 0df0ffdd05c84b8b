import * as tf from '@tensorflow/tfjs-core';

/** The RSSM's activations: nn.ts's Activation has no ELU, which Dreamer's networks use (PlaNet uses ReLU). */
export type Act = 'relu' | 'elu' | 'none';

export function act(x: tf.Tensor, a: Act): tf.Tensor {
  if (a === 'relu') return tf.relu(x);
  if (a === 'elu') return tf.elu(x);
  return x;
}
