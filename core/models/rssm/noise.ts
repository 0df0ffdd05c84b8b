import * as tf from '@tensorflow/tfjs-core';
import type { Params } from '../nn.ts';
import { glorotUniform } from '../nn.ts';
import type { Rng } from '../../util/rng.ts';

/**
 * Small RSSM-specific helpers next to core/models/nn.ts: seeds for tf.random* draws (latent samples), ELU
 * (nn.ts's Activation has no 'elu', which Dreamer uses), and weight-only / layer-norm parameters.
 */

/** A deterministic stream of integer seeds for tf.randomNormal / randomUniform (saved with checkpoints). */
export class SeedStream {
  /** Sampling temperature for dreams: Gaussian std·τ, categorical logits/τ (1 = the model's distribution). */
  constructor(
    public state: number,
    readonly temperature = 1,
  ) {
    this.state = state >>> 0;
  }
  next(): number {
    this.state = (Math.imul(this.state ^ (this.state >>> 15), 2246822507) + 0x9e3779b9) >>> 0;
    return this.state % 2147483647;
  }
}

export type Act = 'relu' | 'elu' | 'none';

export function act(x: tf.Tensor, a: Act): tf.Tensor {
  if (a === 'relu') return tf.relu(x);
  if (a === 'elu') return tf.elu(x);
  return x;
}

/** A bare weight `${name}/w` [in, out] (no bias). */
export function initWeight(params: Params, name: string, inDim: number, outDim: number, rng: Rng): void {
  const t = glorotUniform([inDim, outDim], inDim, outDim, rng);
  params[`${name}/w`] = tf.variable(t, true);
  t.dispose();
}

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

export function layerNorm(params: Params, name: string, x: tf.Tensor, eps = 1e-3): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(
    tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), params[`${name}/g`]),
    params[`${name}/b`],
  );
}
