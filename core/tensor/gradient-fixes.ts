import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs-core';

/**
 * Gradients tfjs-core 4.22 gets wrong or lacks, on every backend (verified on cpu too):
 * - Maximum/Minimum/SquaredDifference and BatchMatMul with broadcasting return the gradient in the broadcast
 *   shape ("The gradient of input 'b' has shape '3,5', which does not match ... '5'"); we sum
 *   it back over the broadcast axes.
 * - Comparisons and logical ops have no gradient, so `where(greater(x, 0), x, y)` with x on the
 *   tape fails ("gradient function not found for Greater"). Their gradient is zero.
 */
function reduceTo(g: Tensor, shape: number[]): Tensor {
  const axes = tf.broadcast_util.getReductionAxes(shape, g.shape);
  const r = axes.length > 0 ? tf.sum(g, axes) : g;
  return tf.reshape(r, shape);
}

const maximumGrad: GradConfig = {
  kernelName: tf.Maximum,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
    const [a, b] = saved;
    const g = dy as Tensor;
    return {
      a: () => reduceTo(tf.mul(g, tf.cast(tf.greaterEqual(a, b), 'float32')), a.shape),
      b: () => reduceTo(tf.mul(g, tf.cast(tf.less(a, b), 'float32')), b.shape),
    };
  },
};

const minimumGrad: GradConfig = {
  kernelName: tf.Minimum,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
    const [a, b] = saved;
    const g = dy as Tensor;
    return {
      a: () => reduceTo(tf.mul(g, tf.cast(tf.lessEqual(a, b), 'float32')), a.shape),
      b: () => reduceTo(tf.mul(g, tf.cast(tf.greater(a, b), 'float32')), b.shape),
    };
  },
};

const squaredDifferenceGrad: GradConfig = {
  kernelName: tf.SquaredDifference,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
    const [a, b] = saved;
    const two = tf.scalar(2);
    const g = dy as Tensor;
    return {
      a: () => reduceTo(tf.mul(g, tf.mul(two, tf.sub(a, b))), a.shape),
      b: () => reduceTo(tf.mul(g, tf.mul(two, tf.sub(b, a))), b.shape),
    };
  },
};

const batchMatMulGrad: GradConfig = {
  kernelName: tf.BatchMatMul,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs?: NamedAttrMap) => {
    const [a, b] = saved;
    const g = dy as Tensor;
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
    // Batch dims of the gradient are the broadcast ones; sum the extra ones away.
    const fit = (t: Tensor, like: Tensor): Tensor => {
      if (t.rank === like.rank && t.shape.every((d, i) => d === like.shape[i])) return t;
      const lead = like.shape.slice(0, -2);
      const tLead = t.shape.slice(0, -2);
      const padded = [...new Array(tLead.length - lead.length).fill(1), ...lead];
      const axes = tf.broadcast_util.getReductionAxes(padded, tLead);
      const r = axes.length > 0 ? tf.sum(t, axes, true) : t;
      return tf.reshape(r, like.shape);
    };
    let ga: () => Tensor;
    let gb: () => Tensor;
    if (!transposeA && !transposeB) {
      ga = () => tf.matMul(g, b, false, true);
      gb = () => tf.matMul(a, g, true, false);
    } else if (!transposeA && transposeB) {
      ga = () => tf.matMul(g, b, false, false);
      gb = () => tf.matMul(g, a, true, false);
    } else if (transposeA && !transposeB) {
      ga = () => tf.matMul(b, g, false, true);
      gb = () => tf.matMul(a, g, false, false);
    } else {
      ga = () => tf.matMul(b, g, true, true);
      gb = () => tf.matMul(g, a, true, true);
    }
    return { a: () => fit(ga(), a), b: () => fit(gb(), b) };
  },
};

function zeroGrad(kernelName: string, inputs: string[]): GradConfig {
  return {
    kernelName,
    inputsToSave: inputs,
    gradFunc: (_dy: Tensor | Tensor[], saved: Tensor[]) =>
      Object.fromEntries(inputs.map((name, i) => [name, () => tf.zerosLike(saved[i])])),
  };
}

const ZERO_GRAD_BINARY = [
  'Greater',
  'GreaterEqual',
  'Less',
  'LessEqual',
  'Equal',
  'NotEqual',
  'LogicalAnd',
  'LogicalOr',
];

export function registerGradientFixes(): void {
  for (const g of [maximumGrad, minimumGrad, squaredDifferenceGrad, batchMatMulGrad]) tf.registerGradient(g);
  for (const k of ZERO_GRAD_BINARY) tf.registerGradient(zeroGrad(k, ['a', 'b']));
  tf.registerGradient(zeroGrad('LogicalNot', ['x']));
}
