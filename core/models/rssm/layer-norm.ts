import * as tf from '@tensorflow/tfjs-core';
import type { Params } from '../nn.ts';

/** Layer norm parameters `${name}/g` (ones) and `${name}/b` (zeros) over the last axis of size `dim`. */
export function initLayerNorm(params: Params, name: string, dim: number): void {
  // tf.variable keeps its initial tensor registered: create from a tensor we dispose.
  for (const [k, t] of [
    ['g', tf.ones([dim])],
    ['b', tf.zeros([dim])],
  ] as const) {
    params[`${name}/${k}`] = tf.variable(t, true);
    t.dispose();
  }
}

/** (x − mean) / √(var + ε) · g + b over the last axis (ε 1e-3, as Keras LayerNormalization in DreamerV2). */
export function layerNorm(params: Params, name: string, x: tf.Tensor, eps = 1e-3): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(
    tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), params[`${name}/g`]),
    params[`${name}/b`],
  );
}
