import * as tf from '@tensorflow/tfjs-core';
import { Adam, dense, disposeParams, initDense, type Params } from '../models/nn.ts';
import { featureScaling, predictRidge, type RidgeProbe } from '../util/ridge.ts';
import { shuffledIndices } from '../tensor/seed.ts';
import { Rng } from '../util/rng.ts';

/**
 * The non-linear state probe: an MLP from the model's standardised features to the standardised true state, beside
 * the linear (ridge) one. The two answer different questions. The ridge asks whether the state can be read off the
 * features by a weighted sum, which is issue 11's measure. The MLP asks whether the features hold the state at all,
 * in any shape. Where the MLP reads a variable that the ridge does not, the model keeps it, bent. Where neither
 * does, the model has lost it. On car-racing the RSSM's features read the track offset at R² 0.62 linearly and
 * about 0.8 through an MLP (session 35).
 *
 * Each target keeps the MLP's weights of its own best validation loss (held-back training episodes), or the ridge's
 * read where that is better there: where a bend is not there to learn, or the validation rows do not bear it out, it
 * reads what the ridge reads.
 */
export const MLP_PROBE = {
  hidden: 256,
  layers: 2,
  batch: 128,
  lr: 1e-3,
  /**
   * Update steps: `epochs` passes over the fit rows, kept within [minSteps, maxSteps] (a few hundred rows still get
   * enough updates; 20,000 rows stop at 24 passes). The validation loss is read before the first step and every
   * `checkEvery` steps (at least once a pass), and training stops after `patience` reads in which no target improved.
   */
  epochs: 30,
  minSteps: 300,
  maxSteps: 3000,
  checkEvery: 100,
  patience: 10,
} as const;

/** A set of weights and the target columns it reads (each column its own best validation point). */
interface Read {
  params: Params;
  columns: number[];
}

export interface MlpProbe {
  reads: Read[];
  /** The targets the ridge it was given reads better on the validation rows, read by it. */
  ridge: { probe: RidgeProbe; columns: number[] } | null;
  mean: Float64Array;
  scale: Float64Array;
  yMean: Float64Array;
  /** 1/std of each target; 0 for a constant target, which is read as its mean. */
  yScale: Float64Array;
  /**
   * Each target's range on the fit rows: the MLP's read is clipped to it. A ReLU net extrapolates along straight
   * lines, so on a frame unlike any it was fitted on it can read far outside every value it has seen.
   */
  yMin: Float64Array;
  yMax: Float64Array;
  features: number;
  targets: number;
  /** Update steps taken, and per target the step whose weights read it (its best validation loss; −1: the ridge). */
  steps: number;
  bestStep: number[];
  /** Per target, its read's mean squared error on the validation rows in standardised units (null without them). */
  valLoss: number[] | null;
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

/** [n, F] standardised → [n, D] standardised. */
function forward(p: Params, x: tf.Tensor2D): tf.Tensor2D {
  let h = x;
  for (let l = 0; l < MLP_PROBE.layers; l++) h = dense(p, `h${l}`, h, 'relu');
  return dense(p, 'out', h);
}

/** Mean squared error per target of the standardised read on standardised rows, read back in one sync. */
function mse(p: Params, x: Float32Array, y: Float32Array, n: number, F: number, D: number): Float32Array {
  const v = tf.tidy(() => tf.mean(tf.squaredDifference(forward(p, tf.tensor2d(x, [n, F])), tf.tensor2d(y, [n, D])), 0));
  const out = v.dataSync() as Float32Array;
  v.dispose();
  return out;
}

const snapshot = (p: Params): Record<string, Float32Array> =>
  Object.fromEntries(Object.entries(p).map(([k, v]) => [k, Float32Array.from(v.dataSync())]));

/**
 * Fits the MLP on `fit`, its read-out starting at zero (the training mean). Each target keeps the weights of its own
 * lowest loss on `val`, the start included, so features that hold nothing keep the mean rather than a fit to noise;
 * and `linear` (a ridge fitted on the same rows), where given, is a candidate too: a target it reads better on the
 * validation rows is read by it, so there the MLP never reads worse than the ridge. Without validation rows, the
 * last weights. Features and targets are standardised by the fit rows. Deterministic for a seed.
 */
export function fitMlpProbe(fit: ProbeRows, val: ProbeRows | null, seed: number, linear?: RidgeProbe): MlpProbe {
  const n = fit.n;
  if (n < 1) throw new Error('MLP probe: no rows to fit');
  const F = fit.x.length / n;
  const D = fit.y.length / n;
  if (linear && (linear.features !== F || linear.targets !== D))
    throw new Error(`MLP probe: the ridge reads ${linear.features} → ${linear.targets}, the rows are ${F} → ${D}`);
  const { mean, scale } = featureScaling(n, F, (i, f) => fit.x[i * F + f]);
  const ys = featureScaling(n, D, (i, d) => fit.y[i * D + d]);
  const yMin = new Float64Array(D).fill(Infinity);
  const yMax = new Float64Array(D).fill(-Infinity);
  for (let i = 0; i < n; i++)
    for (let d = 0; d < D; d++) {
      yMin[d] = Math.min(yMin[d], fit.y[i * D + d]);
      yMax[d] = Math.max(yMax[d], fit.y[i * D + d]);
    }
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
  // A zero read-out starts at the training mean (R² 0), the first candidate on the validation rows.
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
  const best = new Array<number>(D).fill(Infinity);
  const bestStep = new Array<number>(D).fill(0);
  const kept: (Record<string, Float32Array> | null)[] = new Array(D).fill(null);
  const byRidge = new Array<boolean>(D).fill(false);
  let sinceBest = 0;
  let step = 0;
  const check = (): boolean => {
    const loss = mse(params, xv!, yv!, val!.n, F, D);
    let snap: Record<string, Float32Array> | null = null;
    for (let d = 0; d < D; d++) {
      if (!(loss[d] < best[d])) continue;
      [best[d], bestStep[d], kept[d]] = [loss[d], step, (snap ??= snapshot(params))];
    }
    sinceBest = snap ? 0 : sinceBest + 1;
    return sinceBest < MLP_PROBE.patience;
  };
  const reads: Read[] = [];
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
    // The ridge is a candidate too, after the MLP's own best (patience counts the MLP's progress, not the race):
    // a target it reads better on the validation rows is read by it.
    if (linear && val?.n) {
      const r = predictRidge(linear, val.x, val.n);
      for (let d = 0; d < D; d++) {
        let se = 0;
        for (let i = 0; i < val.n; i++) se += ((r[i * D + d] - val.y[i * D + d]) * yScale[d]) ** 2;
        if (se / val.n < best[d]) [best[d], byRidge[d]] = [se / val.n, true];
      }
    }
    // One set of weights per distinct kept snapshot, with the targets it reads.
    const last = snapshot(params);
    const sets = new Map<Record<string, Float32Array>, number[]>();
    for (let d = 0; d < D; d++) {
      if (byRidge[d]) continue;
      const w = kept[d] ?? last;
      sets.set(w, [...(sets.get(w) ?? []), d]);
    }
    for (const [w, columns] of sets)
      reads.push({
        params: Object.fromEntries(
          Object.entries(params).map(([k, v]) => [k, tf.tidy(() => tf.variable(tf.tensor(w[k], v.shape), false))]),
        ),
        columns,
      });
  } catch (e) {
    for (const r of reads) disposeParams(r.params);
    throw e;
  } finally {
    disposeParams(params);
    opt.dispose();
  }
  return {
    reads,
    ridge:
      linear && byRidge.some(Boolean) ? { probe: linear, columns: byRidge.flatMap((b, d) => (b ? [d] : [])) } : null,
    mean,
    scale,
    yMean: ys.mean,
    yMin,
    yMax,
    yScale,
    features: F,
    targets: D,
    steps: step,
    bestStep: kept.map((k, d) => (byRidge[d] ? -1 : k ? bestStep[d] : step)),
    valLoss: xv ? best : null,
  };
}

/** The probe's read of rows x [n, F], in the targets' units [n, D]. */
export function predictMlpProbe(probe: MlpProbe, x: ArrayLike<number>, n: number): Float64Array {
  const { features: F, targets: D } = probe;
  const out = new Float64Array(n * D);
  if (probe.ridge) {
    const r = predictRidge(probe.ridge.probe, x, n);
    for (let i = 0; i < n; i++) for (const d of probe.ridge.columns) out[i * D + d] = r[i * D + d];
  }
  const CHUNK = 4096;
  for (let i0 = 0; i0 < n; i0 += CHUNK) {
    const m = Math.min(CHUNK, n - i0);
    const xs = standardise(x, m, probe.mean, probe.scale, i0);
    for (const { params, columns } of probe.reads) {
      const t = tf.tidy(() => forward(params, tf.tensor2d(xs, [m, F])));
      const z = t.dataSync();
      t.dispose();
      for (let i = 0; i < m; i++)
        for (const d of columns) {
          const s = probe.yScale[d];
          const v = (s > 0 ? z[i * D + d] / s : 0) + probe.yMean[d];
          out[(i0 + i) * D + d] = Math.min(probe.yMax[d], Math.max(probe.yMin[d], v));
        }
    }
  }
  return out;
}

export function disposeMlpProbe(probe: MlpProbe): void {
  for (const r of probe.reads) disposeParams(r.params);
}
