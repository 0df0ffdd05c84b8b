import * as tf from '@tensorflow/tfjs-core';

/**
 * sg(x): the value of x, with no gradient flowing back into it (tfjs-core has no stop_gradient op).
 *
 * The copy is made with the gradient tape off, so it is a leaf of the tape: backprop never reaches it and
 * prunes everything behind it. A customGrad returning zeros (the earlier form) gave the same gradients but did
 * the work: tfjs still backpropagated into the stopped branch and multiplied by zero — in imagination, the
 * input gradient of the actor's first layer at every step and the whole path behind the stopped action modes
 * (issue 17). One difference: tf.grad of a function that reaches x only through sg now throws tfjs's "Cannot
 * compute gradient" instead of returning zeros (variableGrads still returns no entry for such a variable).
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  const state = tf.engine().state;
  const depth = state.gradientDepth;
  state.gradientDepth = 0;
  try {
    return tf.clone(x);
  } finally {
    state.gradientDepth = depth;
  }
}
