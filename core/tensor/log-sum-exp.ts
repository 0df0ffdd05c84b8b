import * as tf from '@tensorflow/tfjs-core';

/**
 * log Σ exp(x) along `axis` (shifted by the max for stability) as one differentiable op whose gradient is
 * dy·softmax(x). The value is tf.logSumExp's and so is the gradient (the shift's terms cancel exactly), but
 * tfjs backpropagates through the shift's Max, whose gradient builds an Equal mask over all of x: 9 ms per
 * call for the MDN head's [800, 32, 5] on wasm (issue 17).
 */
export function logSumExp(x: tf.Tensor, axis: number, keepDims = false): tf.Tensor {
  const ax = axis < 0 ? x.rank + axis : axis;
  const op = tf.customGrad(((v: tf.Tensor, save: tf.GradSaveFunc) => {
    const m = tf.max(v, ax, true);
    const lse = tf.add(tf.log(tf.sum(tf.exp(tf.sub(v, m)), ax, true)), m);
    save([v, lse]);
    return {
      value: lse,
      gradFunc: (dy: tf.Tensor, [vs, l]: tf.Tensor[]) => tf.mul(dy, tf.exp(tf.sub(vs, l))),
    };
  }) as any);
  const lse = op(x) as tf.Tensor;
  return keepDims ? lse : tf.squeeze(lse, [ax]);
}
