import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../util/errors.ts';
import type { Rng } from '../util/rng.ts';
import { lrDecayFactor, type LrDecay } from './lr-decay.ts';

/**
 * Functional building blocks shared by every model family: parameters live in a flat object of
 * tf.Variable keyed by slash paths ('vae/enc0/w'), so a checkpoint is just that object written as
 * safetensors. Initialisers draw from our seeded Rng (not tf.random*), so a seed gives the same
 * weights on every backend.
 */
export type Params = Record<string, tf.Variable>;
export type Activation = 'relu' | 'elu' | 'sigmoid' | 'tanh' | 'linear';

function fill(n: number, rng: Rng, limit: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rng.next() * 2 - 1) * limit;
  return out;
}

/** Glorot/Xavier uniform, the Keras/TF default that WMx's VAE and MDN-RNN were trained with. */
export function glorotUniform(shape: number[], fanIn: number, fanOut: number, rng: Rng): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(fill(n, rng, Math.sqrt(6 / (fanIn + fanOut))), shape, 'float32');
}

function addVar(params: Params, name: string, value: tf.Tensor): void {
  if (params[name]) throw new Error(`parameter '${name}' is defined twice`);
  params[name] = tf.variable(value, true);
  value.dispose();
}

/** Dense layer `${name}/w` [inDim, outDim], `${name}/b` [outDim] (bias initialised to `biasInit`). */
export function initDense(params: Params, name: string, inDim: number, outDim: number, rng: Rng, biasInit = 0): void {
  addVar(params, `${name}/w`, glorotUniform([inDim, outDim], inDim, outDim, rng));
  addVar(params, `${name}/b`, tf.fill([outDim], biasInit, 'float32'));
}

/** A bare weight `${name}/w` [inDim, outDim] with no bias (RSSM projections followed by a layer norm). */
export function initWeight(params: Params, name: string, inDim: number, outDim: number, rng: Rng): void {
  addVar(params, `${name}/w`, glorotUniform([inDim, outDim], inDim, outDim, rng));
}

/** Conv layer: filter [k, k, cin, cout] (tfjs layout), bias [cout]. */
export function initConv(params: Params, name: string, k: number, cin: number, cout: number, rng: Rng): void {
  addVar(params, `${name}/w`, glorotUniform([k, k, cin, cout], k * k * cin, k * k * cout, rng));
  addVar(params, `${name}/b`, tf.zeros([cout], 'float32'));
}

/** Transposed conv: filter [k, k, cout, cin] (tfjs conv2dTranspose layout), bias [cout]. */
export function initDeconv(params: Params, name: string, k: number, cin: number, cout: number, rng: Rng): void {
  addVar(params, `${name}/w`, glorotUniform([k, k, cout, cin], k * k * cin, k * k * cout, rng));
  addVar(params, `${name}/b`, tf.zeros([cout], 'float32'));
}

export function activate<T extends tf.Tensor>(x: T, act: Activation): T {
  switch (act) {
    case 'relu':
      return tf.relu(x);
    case 'elu':
      return tf.elu(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'tanh':
      return tf.tanh(x);
    case 'linear':
      return x;
  }
}

function param(params: Params, key: string): tf.Variable {
  const v = params[key];
  if (!v) throw new Error(`missing parameter '${key}'`);
  return v;
}

/** x [N, in] → [N, out]. */
export function dense(params: Params, name: string, x: tf.Tensor2D, act: Activation = 'linear'): tf.Tensor2D {
  return activate(tf.add(tf.matMul(x, param(params, `${name}/w`)), param(params, `${name}/b`)), act);
}

/** MLP `${name}/h0 … h{layers−1}` of `units` each, then `${name}/out` [units, outDim] (Dreamer's DenseDecoder shape). */
export function initMlp(
  params: Params,
  name: string,
  inDim: number,
  units: number,
  layers: number,
  rng: Rng,
  outDim = 1,
): void {
  let d = inDim;
  for (let i = 0; i < layers; i++) {
    initDense(params, `${name}/h${i}`, d, units, rng);
    d = units;
  }
  initDense(params, `${name}/out`, d, outDim, rng);
}

/** Forward pass of an `initMlp` network: [N, in] → [N, outDim] (hidden layers activated, output linear). */
export function mlp(params: Params, name: string, x: tf.Tensor2D, layers: number, act: Activation): tf.Tensor2D {
  let h = x;
  for (let i = 0; i < layers; i++) h = dense(params, `${name}/h${i}`, h, act);
  return dense(params, `${name}/out`, h);
}

/** 'valid' convolution, as WMx's encoder (k4 s2, no padding). x [B, H, W, C]. */
export function conv(params: Params, name: string, x: tf.Tensor4D, stride: number, act: Activation): tf.Tensor4D {
  const w = param(params, `${name}/w`) as unknown as tf.Tensor4D;
  return activate(tf.add(tf.conv2d(x, w, stride, 'valid'), param(params, `${name}/b`)), act);
}

/** 'valid' transposed convolution: out = (in − 1)·stride + k, as WMx's decoder. */
export function deconv(params: Params, name: string, x: tf.Tensor4D, stride: number, act: Activation): tf.Tensor4D {
  const w = param(params, `${name}/w`) as unknown as tf.Tensor4D;
  const [k, , cout] = w.shape;
  const [b, h, wd] = x.shape;
  const out: [number, number, number, number] = [b, (h - 1) * stride + k, (wd - 1) * stride + k, cout];
  return activate(tf.add(tf.conv2dTranspose(x, w, out, stride, 'valid'), param(params, `${name}/b`)), act);
}

/** Output size of a 'valid' conv / transposed conv, for config validation. */
export const convOut = (size: number, k: number, stride: number): number => Math.floor((size - k) / stride) + 1;
export const deconvOut = (size: number, k: number, stride: number): number => (size - 1) * stride + k;

export function paramCount(params: Params): number {
  return Object.values(params).reduce((n, v) => n + v.size, 0);
}

export function disposeParams(params: Params): void {
  for (const v of Object.values(params)) v.dispose();
}

/** Copies named tensors into existing variables, checking names and shapes; `prefix` is stripped from names. */
export function assignParams(params: Params, named: Record<string, tf.Tensor>, prefix = ''): void {
  for (const [key, v] of Object.entries(params)) {
    const t = named[prefix + key];
    // A checkpoint from another config is the user's file, not a bug: one line, no stack.
    if (!t) throw new UserError(`checkpoint has no tensor '${prefix + key}': it was written by another model config`);
    if (t.shape.join(',') !== v.shape.join(',')) {
      throw new UserError(
        `checkpoint tensor '${prefix + key}' has shape [${t.shape}], the model expects [${v.shape}]: the checkpoint was written by another model config`,
      );
    }
    v.assign(t);
  }
}

/** Params as a name → tensor map with a prefix, for checkpoints (the variables themselves, not copies). */
export function namedParams(params: Params, prefix = ''): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(params)) out[prefix + k] = v;
  return out;
}

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Clip each gradient element to [−clipValue, clipValue] (WMx rnn_train.py `grad_clip` 1.0). */
  clipValue?: number;
  /** Rescale all gradients together when their global L2 norm exceeds clipNorm (Dreamer's `clip`). */
  clipNorm?: number;
  /** Decay of lr over the applied updates (lr-decay.ts); absent or null = constant lr. */
  lrDecay?: LrDecay | null;
}

export interface LossOutput {
  loss: tf.Scalar;
  /** Extra scalars to report (e.g. 'recon_loss', 'kl'); read together with the loss in one sync. */
  metrics?: Record<string, tf.Scalar>;
}

export interface OptimizerStepResult {
  /** The update was applied (loss and gradient finite). */
  applied: boolean;
  loss: number;
  gradNorm: number;
  metrics: Record<string, number>;
  /** Why the step was skipped, when it was. */
  reason?: string;
}

/**
 * Adam (Kingma & Ba 2015, with bias correction) over a Params object. `step` computes loss and
 * gradients, reads the loss, the gradient norm and the metrics in a single device sync, and applies
 * the update only when all of them are finite: the divergence guard lives here so every family gets
 * it. Its moments are variables with the same names as the params (see `state`), so a checkpoint can
 * hold them and a resumed run continues exactly.
 */
export class Adam {
  readonly m: Params = {};
  readonly v: Params = {};
  /** Number of applied updates (the bias-correction t). */
  t = 0;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;

  constructor(
    private readonly params: Params,
    readonly opts: AdamOptions,
  ) {
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    for (const [k, p] of Object.entries(params)) {
      // tf.variable copies its initial value: free the zeros so each optimizer leaves no stray tensors.
      this.m[k] = tf.tidy(() => tf.variable(tf.zerosLike(p), false));
      this.v[k] = tf.tidy(() => tf.variable(tf.zerosLike(p), false));
    }
  }

  /** `poison` turns the loss into NaN (tests of the divergence guard). */
  step(lossFn: () => LossOutput, poison = false): OptimizerStepResult {
    return this.stepAccumulated([{ weight: 1, loss: lossFn }], poison);
  }

  /**
   * One update from the gradient of Σ_i w_i·loss_i, computed one part at a time (gradient accumulation over
   * micro-batches): only one part's activations are alive at once, so a batch too big for the heap trains in
   * parts. With parts = micro-batches of a loss that is a mean over samples and w_i = (samples in part i) /
   * (samples in the batch), the sum is the full-batch loss and the update equals the full-batch update (up to
   * float rounding); the reported loss and metrics are the same weighted sums. Losses that are nonlinear in a
   * batch mean (e.g. max(mean KL, free nats)) are only approximated.
   */
  stepAccumulated(parts: { weight: number; loss: () => LossOutput }[], poison = false): OptimizerStepResult {
    if (parts.length === 0) throw new Error('Adam.stepAccumulated: no parts');
    const keys = Object.keys(this.params);
    const vars = keys.map((k) => this.params[k]);
    const aux: Record<string, tf.Scalar> = {};
    let value: tf.Scalar | null = null;
    const grads: Record<string, tf.Tensor> = {};
    // Adds w·x into acc[k] (the first part's tensors are kept as they are when w = 1: a plain step is unchanged).
    const accumulate = (acc: Record<string, tf.Tensor>, k: string, x: tf.Tensor, w: number) => {
      const prev = acc[k];
      acc[k] = tf.tidy(() => (prev ? tf.add(prev, w === 1 ? x : tf.mul(x, w)) : w === 1 ? x.clone() : tf.mul(x, w)));
      prev?.dispose();
    };
    try {
      for (const part of parts) {
        const partAux: Record<string, tf.Scalar> = {};
        const r = tf.variableGrads(() => {
          const out = part.loss();
          for (const [k, t] of Object.entries(out.metrics ?? {})) partAux[k] = tf.keep(t);
          return poison ? tf.mul(out.loss, NaN) : out.loss;
        }, vars);
        const acc: Record<string, tf.Tensor> = value ? { v: value } : {};
        accumulate(acc, 'v', r.value, part.weight);
        value = acc.v as tf.Scalar;
        for (const [k, g] of Object.entries(r.grads)) accumulate(grads, k, g, part.weight);
        for (const [k, t] of Object.entries(partAux)) accumulate(aux, k, t, part.weight);
        r.value.dispose();
        tf.dispose(Object.values(r.grads));
        tf.dispose(Object.values(partAux));
      }
      const total = value as unknown as tf.Scalar;
      const auxKeys = Object.keys(aux);
      const stats = tf.tidy(() => {
        const sq = vars.filter((v) => grads[v.name]).map((v) => tf.sum(tf.square(grads[v.name])));
        const norm = tf.sqrt(sq.length === 1 ? sq[0] : tf.addN(sq));
        return tf.stack([total, norm, ...auxKeys.map((k) => aux[k])]);
      });
      const s = stats.dataSync();
      stats.dispose();
      const loss = s[0];
      const gradNorm = s[1];
      const metrics: Record<string, number> = {};
      auxKeys.forEach((k, i) => (metrics[k] = s[2 + i]));
      if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
        const reason = !Number.isFinite(loss) ? `non-finite loss (${loss})` : `non-finite gradient norm (${gradNorm})`;
        return { applied: false, loss, gradNorm, metrics, reason };
      }
      // A parameter no path to the loss reaches (e.g. a head switched off) gets no update.
      this.apply(
        keys,
        vars.map((v) => grads[v.name] ?? null),
        gradNorm,
      );
      return { applied: true, loss, gradNorm, metrics };
    } finally {
      (value as tf.Tensor | null)?.dispose();
      for (const g of Object.values(grads)) g.dispose();
      for (const t of Object.values(aux)) t.dispose();
    }
  }

  /** The lr of the next update (the configured lr under its decay). */
  get lr(): number {
    return this.opts.lr * lrDecayFactor(this.opts.lrDecay, this.t);
  }

  private apply(keys: string[], grads: (tf.Tensor | null)[], gradNorm: number): void {
    const lr = this.lr;
    this.t += 1;
    const { clipValue, clipNorm } = this.opts;
    const scale = clipNorm && gradNorm > clipNorm ? clipNorm / gradNorm : 1;
    const lrT = (lr * Math.sqrt(1 - this.beta2 ** this.t)) / (1 - this.beta1 ** this.t);
    tf.tidy(() => {
      keys.forEach((k, i) => {
        let g = grads[i];
        if (!g) return;
        if (scale !== 1) g = tf.mul(g, scale);
        if (clipValue) g = tf.clipByValue(g, -clipValue, clipValue);
        const m = tf.add(tf.mul(this.m[k], this.beta1), tf.mul(g, 1 - this.beta1));
        const v = tf.add(tf.mul(this.v[k], this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        this.m[k].assign(m);
        this.v[k].assign(v);
        this.params[k].assign(tf.sub(this.params[k], tf.mul(tf.div(m, tf.add(tf.sqrt(v), this.eps)), lrT)));
      });
    });
  }

  /** Moments as named tensors (`${prefix}m/<param>`, `${prefix}v/<param>`) plus the step count for checkpoints. */
  state(prefix: string): { tensors: Record<string, tf.Tensor>; t: number } {
    return { tensors: { ...namedParams(this.m, `${prefix}m/`), ...namedParams(this.v, `${prefix}v/`) }, t: this.t };
  }

  loadState(tensors: Record<string, tf.Tensor>, t: number, prefix: string): void {
    assignParams(this.m, tensors, `${prefix}m/`);
    assignParams(this.v, tensors, `${prefix}v/`);
    this.t = t;
  }

  dispose(): void {
    disposeParams(this.m);
    disposeParams(this.v);
  }
}
