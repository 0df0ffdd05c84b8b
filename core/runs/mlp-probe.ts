import * as tf from '@tensorflow/tfjs-core';
import { Adam, dense, disposeParams, initDense, type Params } from '../models/nn.ts';
import { featureScaling } from '../util/ridge.ts';
import { shuffledIndices } from '../tensor/seed.ts';
import { Rng } from '../util/rng.ts';

/**
 * The non-linear state probe: a small MLP from the model's standardised features to the standardised true state,
 * beside the linear (ridge) one. The two answer different questions. The linear probe asks whether the state can
 * be read off the features by a weighted sum, which is issue 11's measure. The MLP asks whether the features hold
 * the state at all, in any shape. Where the MLP reads a variable that the ridge does not, the model keeps it, bent.
 * Where neither does, the model has lost it. On car-racing the RSSM's features read the track offset at R² 0.62
 * linearly and 0.83 through an MLP (session 35).
 *
 * The MLP is fitted by Adam on the fit rows and early-stopped on the validation rows (held-back training episodes),
 * so a model whose features carry nothing cannot score by over-fitting: it keeps its best validation weights.
 */
export const MLP_PROBE = {
  hidden: 256,
  layers: 2,
  batch: 128,
  lr: 1e-3,
  /**
   * Update steps: `epochs` passes over the fit rows, kept within [minSteps, maxSteps] (a few hundred rows still get
   * enough updates; 20,000 rows stop at 24 passes). The validation loss is read before the first step and every
   * `checkEvery` steps (at least once a pass), and training stops after `patience` reads without a better one.
   */
  epochs: 30,
  minSteps: 300,
  maxSteps: 3000,
  checkEvery: 100,
  patience: 5,
} as const;

export interface MlpProbe {
  params: Params;
  mean: Float64Array;
  scale: Float64Array;
  yMean: Float64Array;
  /** 1/std of each target; 0 for a constant target, which is read as its mean. */
  yScale: Float64Array;
  features: number;
  targets: number;
  /** Update steps taken, and the step whose weights were kept (the best validation loss). */
  steps: number;
  bestStep: number;
  /** The kept weights' mean squared error on the validation rows in standardised units (null without them). */
  valLoss: number | null;
}

export interface ProbeRows {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  n: number;
}

/** Rows [from, from + n) of x [·, F] standardised by the probe's training statistics, as float32 (constant features become 0). */
function standardise(x: ArrayLike<number>, n: number, mean: Float64Array, scale: Float64Array, from = 0): Float32Array {
  const F = mean.length;
  const out = new Float32Array(n * F);
  for (let i = 0; i < n; i++) for (let f = 0; f < F; f++) out[i * F + f] = (x[(from + i) * F + f] - mean[f]) * scale[f];
  return out;
}

function forward(p: Params, x: tf.Tensor2D): tf.Tensor2D {
  let h = x;
  for (let l = 0; l < MLP_PROBE.layers; l++) h = dense(p, `h${l}`, h, 'relu');
  return dense(p, 'out', h);
}

/** Mean squared error of the standardised read on standardised rows, read back in one sync. */
function mse(p: Params, x: Float32Array, y: Float32Array, n: number, F: number, D: number): number {
  const v = tf.tidy(() => tf.mean(tf.squaredDifference(forward(p, tf.tensor2d(x, [n, F])), tf.tensor2d(y, [n, D]))));
  const out = v.dataSync()[0];
  v.dispose();
  return out;
}

/**
 * Fits the MLP on `fit` and keeps the weights with the lowest loss on `val` (when there are no validation rows, the
 * last ones). Features and targets are standardised with the fit rows' statistics. Deterministic for a seed.
 */
export function fitMlpProbe(fit: ProbeRows, val: ProbeRows | null, seed: number): MlpProbe {
  const n = fit.n;
  if (n < 1) throw new Error('MLP probe: no rows to fit');
  const F = fit.x.length / n;
  const D = fit.y.length / n;
  const { mean, scale } = featureScaling(n, F, (i, f) => fit.x[i * F + f]);
  const ys = featureScaling(n, D, (i, d) => fit.y[i * D + d]);
  const xs = standardise(fit.x, n, mean, scale);
  // A constant target's standardised value is 0 (scale 0), and it is read as its mean (predictMlpProbe).
  const yScale = ys.scale;
  const yz = standardise(fit.y, n, ys.mean, yScale);
  const xv = val?.n ? standardise(val.x, val.n, mean, scale) : null;
  const yv = val?.n ? standardise(val.y, val.n, ys.mean, yScale) : null;
  const rng = new Rng(seed);
  const params: Params = {};
  let width = F;
  for (let l = 0; l < MLP_PROBE.layers; l++) {
    initDense(params, `h${l}`, width, MLP_PROBE.hidden, rng);
    width = MLP_PROBE.hidden;
  }
  initDense(params, 'out', width, D, rng);
  // A zero read-out starts at the training mean (R² 0): the first validation read is that, so features that hold
  // nothing keep the mean rather than a fit to noise.
  tf.tidy(() => params['out/w'].assign(tf.zerosLike(params['out/w'])));
  const opt = new Adam(params, { lr: MLP_PROBE.lr });
  const B = Math.min(MLP_PROBE.batch, n);
  const maxSteps = Math.min(MLP_PROBE.maxSteps, Math.max(MLP_PROBE.minSteps, Math.ceil((MLP_PROBE.epochs * n) / B)));
  const bx = new Float32Array(B * F);
  const by = new Float32Array(B * D);
  let order = shuffledIndices(n, rng);
  let at = 0;
  // Read the validation loss at least once a pass: a few hundred rows are over-fitted within 100 steps.
  const every = Math.min(MLP_PROBE.checkEvery, Math.ceil(n / B));
  let best = Infinity;
  let kept: Record<string, Float32Array> | null = null;
  let bestStep = 0;
  let sinceBest = 0;
  let step = 0;
  const check = (): boolean => {
    const loss = mse(params, xv!, yv!, val!.n, F, D);
    if (loss < best) {
      best = loss;
      bestStep = step;
      sinceBest = 0;
      kept = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Float32Array.from(v.dataSync())]));
    } else if (++sinceBest >= MLP_PROBE.patience) return false;
    return true;
  };
  try {
    if (xv) check();
    while (step < maxSteps) {
      for (let b = 0; b < B; b++) {
        if (at === n) [order, at] = [shuffledIndices(n, rng), 0];
        const i = order[at++];
        bx.set(xs.subarray(i * F, (i + 1) * F), b * F);
        by.set(yz.subarray(i * D, (i + 1) * D), b * D);
      }
      const x = tf.tensor2d(bx, [B, F]);
      const y = tf.tensor2d(by, [B, D]);
      try {
        opt.step(() => ({ loss: tf.mean(tf.squaredDifference(forward(params, x), y)) as tf.Scalar }));
      } finally {
        x.dispose();
        y.dispose();
      }
      step++;
      if (xv && step % every === 0 && !check()) break;
    }
    const weights: Record<string, Float32Array> | null = kept;
    if (weights) tf.tidy(() => Object.entries(params).forEach(([k, v]) => v.assign(tf.tensor(weights[k], v.shape))));
  } catch (e) {
    disposeParams(params);
    throw e;
  } finally {
    opt.dispose();
  }
  return {
    params,
    mean,
    scale,
    yMean: ys.mean,
    yScale,
    features: F,
    targets: D,
    steps: step,
    bestStep: kept ? bestStep : step,
    valLoss: kept ? best : null,
  };
}

/** The probe's read of rows x [n, F], in the targets' units [n, D]. */
export function predictMlpProbe(probe: MlpProbe, x: ArrayLike<number>, n: number): Float64Array {
  const { features: F, targets: D } = probe;
  const out = new Float64Array(n * D);
  const CHUNK = 4096;
  for (let i0 = 0; i0 < n; i0 += CHUNK) {
    const m = Math.min(CHUNK, n - i0);
    const xs = standardise(x, m, probe.mean, probe.scale, i0);
    const t = tf.tidy(() => forward(probe.params, tf.tensor2d(xs, [m, F])));
    const z = t.dataSync();
    t.dispose();
    for (let i = 0; i < m * D; i++) {
      const s = probe.yScale[i % D];
      out[i0 * D + i] = (s > 0 ? z[i] / s : 0) + probe.yMean[i % D];
    }
  }
  return out;
}

export function disposeMlpProbe(probe: MlpProbe): void {
  disposeParams(probe.params);
}
