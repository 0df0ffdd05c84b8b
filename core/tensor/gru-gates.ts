import * as tf from '@tensorflow/tfjs-core';
import { GRU_GATES, GRU_GATES_GRAD } from './kernels/elementwise.ts';

/**
 * The GRU cell of Dreamer's RSSM after its fused dense (dreamer tools.py / dreamerv2 nets.py GRUCell), from the
 * pre-activations parts = [r | c | u] ([N, 3d]) and the previous state h ([N, d]):
 *   reset = σ(r), cand = tanh(reset·c), update = σ(u − 1), h' = update·cand + (1 − update)·h
 * On wasm one kernel forward and one backward (kernels/elementwise.ts) instead of 12 and ~25 over [N, d] per
 * step: imagination runs this at every step of every update, forward and backward (issue 17). Elsewhere, and
 * for shapes the kernel does not take, the same formula in tfjs ops (`gruGatesOps`).
 */
export function gruGates(parts: tf.Tensor2D, h: tf.Tensor2D): tf.Tensor2D {
  const d = h.shape[1];
  const fits =
    parts.dtype === 'float32' &&
    h.dtype === 'float32' &&
    parts.rank === 2 &&
    h.rank === 2 &&
    parts.shape[0] === h.shape[0] &&
    parts.shape[1] === 3 * d &&
    d % 4 === 0 &&
    tf.getKernel(GRU_GATES, tf.getBackend()) !== undefined;
  return fits ? (fused(parts, h) as tf.Tensor2D) : gruGatesOps(parts, h);
}

/** The formula in tfjs ops (other backends; the reference the kernels are tested against). */
export function gruGatesOps(parts: tf.Tensor2D, h: tf.Tensor2D): tf.Tensor2D {
  const [r, cand, u] = tf.split(parts, 3, -1);
  const reset = tf.sigmoid(r);
  const candidate = tf.tanh(tf.mul(reset, cand));
  const update = tf.sigmoid(tf.sub(u, 1));
  return tf.add(tf.mul(update, candidate), tf.mul(tf.sub(1, update), h)) as tf.Tensor2D;
}

const fused = tf.customGrad(((parts: tf.Tensor, h: tf.Tensor, save: tf.GradSaveFunc) => {
  const [out, gates] = tf.engine().runKernel(GRU_GATES, { parts, h }) as tf.Tensor[];
  save([parts, gates, h]);
  return {
    value: out,
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
      tf.engine().runKernel(GRU_GATES_GRAD, {
        parts: saved[0],
        gates: saved[1],
        h: saved[2],
        dy: dy as tf.Tensor,
      }) as tf.Tensor[],
  };
  // (tfjs types the custom function's arguments as one rest parameter of tensors or the save function)
}) as unknown as Parameters<typeof tf.customGrad>[0]);
