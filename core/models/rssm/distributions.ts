import * as tf from '@tensorflow/tfjs-core';
import { stopGradient } from '../../tensor/stop-gradient.ts';
import { tfSeed } from '../../tensor/seed.ts';

/**
 * Latent distributions of the RSSM.
 * Gaussian: diagonal, std = softplus(raw) + minStd (PlaNet rssm.py, Dreamer v1 models.py: min std 0.1).
 * Categorical: G groups × C classes, straight-through one-hot samples (dreamerv2 common/dists.py
 * OneHotDist.sample: sample + probs − sg(probs)), optional uniform mix (DreamerV3 unimix 1 %).
 * Shapes: a batch of N states; Gaussian params [N, S]; categorical log-probs [N, G, C], samples flattened [N, G·C].
 */
export interface GaussianDist {
  kind: 'gaussian';
  mean: tf.Tensor;
  std: tf.Tensor;
}
/** `logits` are normalised log-probabilities (log-softmax already applied, unimix included). */
export interface CategoricalDist {
  kind: 'categorical';
  logits: tf.Tensor;
}
export type LatentDist = GaussianDist | CategoricalDist;

export { stopGradient };

export function stopDist(d: LatentDist): LatentDist {
  return d.kind === 'gaussian'
    ? { kind: 'gaussian', mean: stopGradient(d.mean), std: stopGradient(d.std) }
    : { kind: 'categorical', logits: stopGradient(d.logits) };
}

/** Gaussian from a raw [N, 2S] output: mean, softplus(raw std) + minStd. */
export function gaussianFromRaw(raw: tf.Tensor, minStd: number): GaussianDist {
  const [mean, s] = tf.split(raw, 2, -1);
  return { kind: 'gaussian', mean, std: tf.add(tf.softplus(s), minStd) };
}

/**
 * Categorical from raw logits [N, G·C]: probs = (1 − u)·softmax + u/C (unimix u, 0 = off), returned as
 * log-probs [N, G, C].
 */
export function categoricalFromRaw(raw: tf.Tensor, groups: number, classes: number, unimix: number): CategoricalDist {
  const n = raw.shape[0];
  const logits = tf.reshape(raw, [n, groups, classes]);
  if (unimix <= 0) return { kind: 'categorical', logits: tf.logSoftmax(logits) };
  const probs = tf.add(tf.mul(tf.softmax(logits), 1 - unimix), unimix / classes);
  return { kind: 'categorical', logits: tf.log(probs) };
}

/** KL(q ‖ p) per state, summed over the latent dimensions (groups for categoricals): [N]. */
export function klDivergence(q: LatentDist, p: LatentDist): tf.Tensor {
  if (q.kind === 'gaussian' && p.kind === 'gaussian') {
    // KL of diagonal Gaussians: log(σp/σq) + (σq² + (μq − μp)²) / (2σp²) − ½, summed over dims.
    const varP = tf.square(p.std);
    const term = tf.add(
      tf.sub(tf.log(p.std), tf.log(q.std)),
      tf.sub(tf.div(tf.add(tf.square(q.std), tf.square(tf.sub(q.mean, p.mean))), tf.mul(varP, 2)), 0.5),
    );
    return tf.sum(term, -1);
  }
  if (q.kind === 'categorical' && p.kind === 'categorical') {
    return tf.sum(tf.mul(tf.exp(q.logits), tf.sub(q.logits, p.logits)), [-2, -1]);
  }
  throw new Error(`klDivergence: both distributions must be of one kind, got ${q.kind} and ${p.kind}`);
}

/** Reparameterised / straight-through sample, flattened to [N, S] (S = G·C for categoricals). */
export function sampleDist(d: LatentDist, seed: number): tf.Tensor2D {
  if (d.kind === 'gaussian') {
    return tf.add(d.mean, tf.mul(d.std, tf.randomNormal(d.mean.shape, 0, 1, 'float32', tfSeed(seed)))) as tf.Tensor2D;
  }
  // Gumbel-max draws exactly from the categorical; works on every backend (no Multinomial kernel needed).
  const u = tf.randomUniform(d.logits.shape, 1e-6, 1 - 1e-6, 'float32', tfSeed(seed));
  const gumbel = tf.neg(tf.log(tf.neg(tf.log(u))));
  const idx = tf.argMax(tf.add(stopGradient(d.logits), gumbel), -1);
  return straightThrough(d, tf.cast(tf.oneHot(idx, d.logits.shape[2] as number), 'float32'));
}

/** one-hot + probs − sg(probs): the one-hot's value with the gradient of the probabilities. */
export function straightThrough(d: CategoricalDist, oneHot: tf.Tensor): tf.Tensor2D {
  const probs = tf.exp(d.logits);
  const st = tf.add(oneHot, tf.sub(probs, stopGradient(probs)));
  return tf.reshape(st, [st.shape[0], -1]) as tf.Tensor2D;
}

/** The mode (mean for Gaussians, argmax one-hot for categoricals), flattened to [N, S]. */
export function distMode(d: LatentDist): tf.Tensor2D {
  if (d.kind === 'gaussian') return d.mean as tf.Tensor2D;
  const oh = tf.cast(tf.oneHot(tf.argMax(d.logits, -1), d.logits.shape[2] as number), 'float32');
  return straightThrough(d, oh);
}

/** Selects states by a row mask (1 = take a, 0 = take b); used for resets at episode starts. */
export function mapDist(d: LatentDist, f: (t: tf.Tensor) => tf.Tensor): LatentDist {
  return d.kind === 'gaussian'
    ? { kind: 'gaussian', mean: f(d.mean), std: f(d.std) }
    : { kind: 'categorical', logits: f(d.logits) };
}

/** Stacks per-step distributions along a new time axis 1: [N, ...] × T → [N, T, ...]. */
export function stackDists(ds: LatentDist[]): LatentDist {
  const d0 = ds[0];
  return d0.kind === 'gaussian'
    ? {
        kind: 'gaussian',
        mean: tf.stack(
          ds.map((d) => (d as GaussianDist).mean),
          1,
        ),
        std: tf.stack(
          ds.map((d) => (d as GaussianDist).std),
          1,
        ),
      }
    : {
        kind: 'categorical',
        logits: tf.stack(
          ds.map((d) => (d as CategoricalDist).logits),
          1,
        ),
      };
}

/** The tensors a distribution holds (for dispose / keep). */
export function distTensors(d: LatentDist): tf.Tensor[] {
  return d.kind === 'gaussian' ? [d.mean, d.std] : [d.logits];
}
