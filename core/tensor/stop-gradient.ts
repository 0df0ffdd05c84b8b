import * as tf from '@tensorflow/tfjs-core';

const stopGradientOp = tf.customGrad(((x: tf.Tensor) => ({
  value: tf.clone(x),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as any);

/** sg(x): the value of x, with no gradient flowing back into it (tfjs-core has no stop_gradient op). */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return stopGradientOp(x) as T;
}
