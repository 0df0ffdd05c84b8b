import * as tf from '@tensorflow/tfjs-core';
import { stopGradient } from '../tensor/stop-gradient.ts';
import { tfSeed } from '../tensor/seed.ts';

/**
 * The actor's action distributions, from the actor network's raw output [N, out]:
 * - 'tanh_normal' (Dreamer v1 models.py ActionDecoder): mean = 5·tanh(μ/5), std = softplus(s + softplus⁻¹(initStd))
 *   + minStd, a = tanh(x) with x ~ N(mean, std) reparameterised; log-prob with the tanh change of variables.
 * - 'trunc_normal' (DreamerV2 nets.py DistLayer): mean = tanh(μ), std = 2·σ(s/2) + minStd, a Normal truncated
 *   to [−1, 1]: inverse-CDF draws with tfp's implicit reparameterisation gradient (`truncSample`); exact
 *   log-prob and entropy.
 * - 'onehot' (DreamerV2 dists.py OneHotDist): categorical over n actions, straight-through one-hot samples
 *   (sample + probs − sg(probs)).
 */
export type ActionDistKind = 'tanh_normal' | 'trunc_normal' | 'onehot';

export interface ActionDist {
  kind: ActionDistKind;
  /** Gaussian parameters (pre-squash for tanh_normal) or log-probabilities [N, A]. */
  a: tf.Tensor2D;
  b: tf.Tensor2D | null;
}

export interface DistParams {
  initStd: number;
  minStd: number;
}

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

export function rawSize(kind: ActionDistKind, actionDim: number): number {
  return kind === 'onehot' ? actionDim : 2 * actionDim;
}

export function actionDist(kind: ActionDistKind, raw: tf.Tensor2D, p: DistParams): ActionDist {
  if (kind === 'onehot') return { kind, a: tf.logSoftmax(raw), b: null };
  const [mu, s] = tf.split(raw, 2, -1) as [tf.Tensor2D, tf.Tensor2D];
  if (kind === 'tanh_normal') {
    const rawInit = Math.log(Math.expm1(p.initStd)); // softplus⁻¹(initStd)
    return {
      kind,
      a: tf.mul(tf.tanh(tf.div(mu, 5)), 5) as tf.Tensor2D,
      b: tf.add(tf.softplus(tf.add(s, rawInit)), p.minStd) as tf.Tensor2D,
    };
  }
  return { kind, a: tf.tanh(mu), b: tf.add(tf.mul(tf.sigmoid(tf.div(s, 2)), 2), p.minStd) as tf.Tensor2D };
}

export interface ActionSample {
  /** The action given to the model [N, A] (gradient flows back to the distribution's parameters). */
  action: tf.Tensor2D;
  /** ln π(a) of the (stop-gradient) action [N]: REINFORCE's score. */
  logProb: tf.Tensor1D;
  /** H[π] [N] (one-sample estimate −ln π(a) for tanh_normal, as Dreamer v1's SampleDist estimates it). */
  entropy: tf.Tensor1D;
}

const normalLogProb = (x: tf.Tensor, mean: tf.Tensor, std: tf.Tensor) =>
  tf.sub(tf.neg(tf.mul(tf.square(tf.div(tf.sub(x, mean), std)), 0.5)), tf.add(tf.log(std), LOG_SQRT_2PI));
/** Φ(x) of the standard normal. */
const ndtr = (x: tf.Tensor) => tf.mul(tf.add(tf.erf(tf.div(x, Math.SQRT2)), 1), 0.5);
/** log(1 − tanh²(x)), stable: 2·(log 2 − x − softplus(−2x)). */
const logTanhJacobian = (x: tf.Tensor) => tf.mul(tf.sub(tf.sub(Math.LN2, x), tf.softplus(tf.mul(x, -2))), 2);

/** ln π(a) [N] of a given action (for tanh_normal pass the pre-squash x instead, see `sample`). */
function truncLogProb(d: ActionDist, a: tf.Tensor): tf.Tensor1D {
  const { a: mean, b: std } = d as { a: tf.Tensor2D; b: tf.Tensor2D };
  const z = tf.sub(ndtr(tf.div(tf.sub(1, mean), std)), ndtr(tf.div(tf.sub(-1, mean), std)));
  return tf.sum(tf.sub(normalLogProb(a, mean, std), tf.log(tf.maximum(z, 1e-8))), -1) as tf.Tensor1D;
}

function truncEntropy(d: ActionDist): tf.Tensor1D {
  // H = ln(√(2πe)·σ·Z) + (α·φ(α) − β·φ(β)) / (2Z), α = (−1 − μ)/σ, β = (1 − μ)/σ.
  const { a: mean, b: std } = d as { a: tf.Tensor2D; b: tf.Tensor2D };
  const alpha = tf.div(tf.sub(-1, mean), std);
  const beta = tf.div(tf.sub(1, mean), std);
  const z = tf.maximum(tf.sub(ndtr(beta), ndtr(alpha)), 1e-8);
  const phi = (x: tf.Tensor) => tf.exp(tf.sub(tf.mul(tf.square(x), -0.5), LOG_SQRT_2PI));
  const h = tf.add(
    tf.add(tf.log(tf.mul(std, z)), 0.5 + LOG_SQRT_2PI),
    tf.div(tf.sub(tf.mul(alpha, phi(alpha)), tf.mul(beta, phi(beta))), tf.mul(z, 2)),
  );
  return tf.sum(h, -1) as tf.Tensor1D;
}

/** A reparameterised / straight-through draw; `seed` feeds tf.random*. */
export function sampleAction(d: ActionDist, seed: number): ActionSample {
  if (d.kind === 'onehot') {
    const u = tf.randomUniform(d.a.shape, 1e-6, 1 - 1e-6, 'float32', tfSeed(seed));
    const idx = tf.argMax(tf.add(stopGradient(d.a), tf.neg(tf.log(tf.neg(tf.log(u))))), -1);
    const oneHot = tf.cast(tf.oneHot(idx, d.a.shape[1]), 'float32') as tf.Tensor2D;
    const probs = tf.exp(d.a);
    const action = tf.add(oneHot, tf.sub(probs, stopGradient(probs))) as tf.Tensor2D;
    const logProb = tf.sum(tf.mul(oneHot, d.a), -1) as tf.Tensor1D;
    const entropy = tf.neg(tf.sum(tf.mul(probs, d.a), -1)) as tf.Tensor1D;
    return { action, logProb, entropy };
  }
  const mean = d.a;
  const std = d.b as tf.Tensor2D;
  if (d.kind === 'trunc_normal') {
    const action = truncSample(mean, std, seed);
    return { action, logProb: truncLogProb(d, stopGradient(action)), entropy: truncEntropy(d) };
  }
  const x = tf.add(mean, tf.mul(std, tf.randomNormal(mean.shape, 0, 1, 'float32', tfSeed(seed))));
  const xs = stopGradient(x);
  const logProb = tf.sum(tf.sub(normalLogProb(xs, mean, std), logTanhJacobian(xs)), -1) as tf.Tensor1D;
  // −ln π(a(θ)) with the reparameterised draw: a one-sample entropy estimate with a pathwise gradient.
  const entropy = tf.neg(tf.sum(tf.sub(normalLogProb(x, mean, std), logTanhJacobian(x)), -1)) as tf.Tensor1D;
  return { action: tf.tanh(x) as tf.Tensor2D, logProb, entropy };
}

/**
 * Φ⁻¹(p) for p in (0, 1), forward only: √2·erfinv(2p − 1) with Giles' single-precision erfinv ("Approximating
 * the erfinv function", GPU Computing Gems 2011), its log term written as ln(4p(1 − p)) so small p keep their
 * precision. tfjs has no ndtri / erfinv kernel.
 */
export function ndtri(p: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const x = tf.sub(tf.mul(p, 2), 1);
    const w = tf.neg(tf.log(tf.mul(tf.mul(p, 4), tf.sub(1, p))));
    const horner = (v: tf.Tensor, cs: number[]) =>
      cs.slice(1).reduce((acc, c) => tf.add(tf.mul(acc, v), c), tf.fill(v.shape, cs[0]));
    const central = horner(
      tf.sub(w, 2.5),
      [
        2.81022636e-8, 3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 2.1858087e-4, -1.25372503e-3, -4.17768164e-3,
        0.246640727, 1.50140941,
      ],
    );
    const tail = horner(
      tf.sub(tf.sqrt(w), 3),
      [
        -2.00214257e-4, 1.00950558e-4, 1.34934322e-3, -3.67342844e-3, 5.73950773e-3, -7.6224613e-3, 9.43887047e-3,
        1.00167406, 2.83297682,
      ],
    );
    return tf.mul(tf.mul(tf.where(tf.less(w, 5), central, tail), x), Math.SQRT2);
  });
}

/**
 * A draw of Normal(mean, std) truncated to [−1, 1] (DreamerV2 common/dists.py TruncNormalDist, a tfp
 * TruncatedNormal): inverse-CDF sampling for the value, and tfp's implicit reparameterisation gradient
 * (Figurnov et al. 2018) dx/dθ = −(∂F(x; θ)/∂θ) / p(x; θ) for the gradient, written as
 * x − (F(x; θ) − sg F(x; θ)) / sg p(x; θ). A clipped Normal with a straight-through gradient is not this: it
 * piles mass onto the bounds and passes dx/dmean = 1 for every draw, however far the std spreads the draws, so
 * a dynamics gradient could push the mean into the bound while the samples stayed near-uniform.
 */
function truncSample(mean: tf.Tensor2D, std: tf.Tensor2D, seed: number): tf.Tensor2D {
  const m = stopGradient(mean);
  const s = stopGradient(std);
  const alpha = (mu: tf.Tensor, sd: tf.Tensor) => ndtr(tf.div(tf.sub(-1, mu), sd));
  const beta = (mu: tf.Tensor, sd: tf.Tensor) => ndtr(tf.div(tf.sub(1, mu), sd));
  const u = tf.randomUniform(mean.shape, 1e-6, 1 - 1e-6, 'float32', tfSeed(seed));
  const lo = alpha(m, s);
  const z = tf.maximum(tf.sub(beta(m, s), lo), 1e-8);
  const x = stopGradient(tf.clipByValue(tf.add(m, tf.mul(s, ndtri(tf.add(lo, tf.mul(u, z))))), -1 + 1e-6, 1 - 1e-6));
  const cdf = tf.div(
    tf.sub(ndtr(tf.div(tf.sub(x, mean), std)), alpha(mean, std)),
    tf.maximum(tf.sub(beta(mean, std), alpha(mean, std)), 1e-8),
  );
  const density = tf.maximum(tf.div(tf.exp(normalLogProb(x, m, s)), z), 1e-6);
  return tf.sub(x, tf.div(tf.sub(cdf, stopGradient(cdf)), stopGradient(density))) as tf.Tensor2D;
}

/**
 * The mode of tanh(x), x ~ N(mean, std), per dimension: the a = tanh(x) that maximises the squashed density
 * ln N(x; mean, std) − ln(1 − tanh²x), which Dreamer v1's SampleDist.mode estimates as the most probable of 100
 * draws (tools.py). Its stationary points solve x = mean + 2·std²·tanh(x); for mean ≥ 0 the largest one is the
 * global maximum (g(x) − g(−x) = 2·x·mean/std² ≥ 0 for x ≥ 0, and g' has at most three roots), reached by Newton
 * from x₀ = mean + 2·std² without overshooting (g' is decreasing and concave right of it); mean < 0 by symmetry.
 * Not tanh(mean): with std 1 and mean 0.3 the density peaks at a ≈ 0.98, where v1 acts, not at 0.29.
 * Computed in JS (float64) on the tensors' values, not as ~450 tiny kernels: the actor-critic takes the mode at
 * every imagined step inside the actor's gradient tape (its `actor_mode_*` metrics), where each kernel also costs
 * tfjs's dispatch and a saved clone (issue 17: over half the kernels of an imag-h15 update). Never differentiated.
 */
export function tanhNormalMode(mean: tf.Tensor2D, std: tf.Tensor2D, iterations = 30): tf.Tensor2D {
  const mu = mean.dataSync();
  const sd = std.dataSync();
  const out = new Float32Array(mu.length);
  for (let i = 0; i < mu.length; i++) {
    const m = Math.abs(mu[i]);
    const v = sd[i] * sd[i];
    let x = m + 2 * v;
    for (let k = 0; k < iterations; k++) {
      const t = Math.tanh(x);
      const g1 = -(x - m) / v + 2 * t;
      const g2 = -1 / v + 2 * (1 - t * t);
      x -= g1 / Math.min(g2, -1e-6);
    }
    out[i] = mu[i] < 0 ? -Math.tanh(x) : Math.tanh(x);
  }
  return tf.tensor2d(out, mean.shape);
}

/** The deterministic action: the squashed normal's density mode, the truncated normal's mode, or the argmax one-hot. */
export function modeAction(d: ActionDist): tf.Tensor2D {
  if (d.kind === 'onehot') return tf.cast(tf.oneHot(tf.argMax(d.a, -1), d.a.shape[1]), 'float32') as tf.Tensor2D;
  // Truncated normal: tfp's TruncatedNormal.mode is clip(loc, low, high) = tanh(μ) (DreamerV2's actor.mode()).
  return d.kind === 'tanh_normal' ? tanhNormalMode(d.a, d.b as tf.Tensor2D) : d.a;
}
