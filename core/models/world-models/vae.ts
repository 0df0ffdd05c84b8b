import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../util/rng.ts';
import {
  activate,
  Adam,
  conv,
  convOut,
  deconv,
  dense,
  initConv,
  initDeconv,
  initDense,
  type OptimizerStepResult,
  type Params,
} from '../nn.ts';
import { foregroundWeights } from '../../media/foreground.ts';
import { PRESETS, type VaeConfig } from './config.ts';

/**
 * ConvVAE of World Models (WMx carracing/vae/vae.py `ConvVAE._build_graph`): images in [0, 1],
 * 'valid' k4 s2 ReLU convs → μ, log σ²; decoder dense → 1×1×D → s2 deconvs → sigmoid.
 * Loss = mean over the batch of (pixel SSE + max(KL, klTolerance · zDim)); with vae.foregroundWeight ≠ 1 the SSE
 * weighs each pixel's squared error by its weight first (pixelWeights, our departure for issue 11).
 */
export function initVae(cfg: VaeConfig, rng: Rng, prefix = 'vae/'): Params {
  const p: Params = {};
  let c = 3;
  let s = cfg.imageSize;
  cfg.encChannels.forEach((ch, i) => {
    initConv(p, `${prefix}enc${i}`, cfg.encKernel, c, ch, rng);
    c = ch;
    s = convOut(s, cfg.encKernel, 2);
  });
  const flat = s * s * c;
  initDense(p, `${prefix}mu`, flat, cfg.zDim, rng);
  initDense(p, `${prefix}logvar`, flat, cfg.zDim, rng);
  initDense(p, `${prefix}dec_in`, cfg.zDim, cfg.decDense, rng);
  let cin = cfg.decDense;
  [...cfg.decChannels, 3].forEach((ch, i) => {
    initDeconv(p, `${prefix}dec${i}`, cfg.decKernels[i], cin, ch, rng);
    cin = ch;
  });
  return p;
}

/** x [B, S, S, 3] in [0, 1] → μ, log σ² [B, zDim]. */
export function encode(
  p: Params,
  cfg: VaeConfig,
  x: tf.Tensor4D,
  prefix = 'vae/',
): { mu: tf.Tensor2D; logvar: tf.Tensor2D } {
  return tf.tidy(() => {
    let h = x;
    for (let i = 0; i < cfg.encChannels.length; i++) h = conv(p, `${prefix}enc${i}`, h, 2, 'relu');
    const flat = tf.reshape(h, [h.shape[0], -1]) as tf.Tensor2D;
    return { mu: dense(p, `${prefix}mu`, flat), logvar: dense(p, `${prefix}logvar`, flat) };
  });
}

/** z [B, zDim] → frames [B, S, S, 3] in [0, 1]. WMx's dense layer is linear (WMt uses ReLU). */
export function decode(p: Params, cfg: VaeConfig, z: tf.Tensor2D, prefix = 'vae/'): tf.Tensor4D {
  return tf.tidy(() => {
    let h = tf.reshape(dense(p, `${prefix}dec_in`, z), [z.shape[0], 1, 1, cfg.decDense]) as tf.Tensor4D;
    const n = cfg.decChannels.length;
    for (let i = 0; i <= n; i++) h = deconv(p, `${prefix}dec${i}`, h, 2, i === n ? 'sigmoid' : 'relu');
    return h;
  });
}

/**
 * The decoder's linear dense input folded into its first deconvolution. On the 1×1×decDense map that
 * deconvolution is a matmul (out[kh, kw, co] = Σ_ci h[ci]·F[kh, kw, co, ci]), so the two compose:
 *   dec0(dense(z)) = z·(W_in·F) + (b_in·F + b_0),  one [zDim, k·k·C_0] matrix.
 * The step-by-step dream decodes one frame per step: unfolded, every frame reads the whole 1024 → 5×5×128
 * filter (3.3 M weights, the largest cost of a dreamed frame); folded it reads 32 × 3200.
 */
export interface FoldedDecoderInput {
  w: tf.Tensor2D;
  b: tf.Tensor1D;
  /** The weights it was folded from (their data ids: a Variable.assign gives new ones). */
  from: object[];
}

export function foldDecoderInput(p: Params, cfg: VaeConfig, prefix = 'vae/'): FoldedDecoderInput {
  const names = [`${prefix}dec_in/w`, `${prefix}dec_in/b`, `${prefix}dec0/w`, `${prefix}dec0/b`];
  const [wIn, bIn, f, b0] = names.map((n) => {
    const t = p[n];
    if (!t) throw new Error(`foldDecoderInput: the VAE has no parameter '${n}'`);
    return t;
  });
  const k = cfg.decKernels[0];
  const c0 = f.shape[2] as number;
  return {
    ...tf.tidy(() => {
      // F as [decDense, k·k·C_0]: columns in (kh, kw, co) order, the order of the deconv's output map.
      const fm = tf.transpose(tf.reshape(f, [k * k * c0, cfg.decDense]));
      return {
        w: tf.matMul(wIn as tf.Tensor2D, fm) as tf.Tensor2D,
        b: tf.add(tf.reshape(tf.matMul(tf.reshape(bIn, [1, -1]), fm), [-1]), tf.tile(b0, [k * k])) as tf.Tensor1D,
      };
    }),
    from: names.map((n) => p[n].dataId),
  };
}

/** True while `folded` still matches the weights in `p` (none was reassigned since it was folded). */
export function foldedMatches(p: Params, folded: FoldedDecoderInput, prefix = 'vae/'): boolean {
  const names = [`${prefix}dec_in/w`, `${prefix}dec_in/b`, `${prefix}dec0/w`, `${prefix}dec0/b`];
  return names.every((n, i) => p[n]?.dataId === folded.from[i]);
}

/** `decode` with the dense input folded into the first deconvolution (same frames within float rounding). */
export function decodeFolded(
  p: Params,
  cfg: VaeConfig,
  folded: FoldedDecoderInput,
  z: tf.Tensor2D,
  prefix = 'vae/',
): tf.Tensor4D {
  return tf.tidy(() => {
    const k = cfg.decKernels[0];
    const n = cfg.decChannels.length;
    const flat = activate(tf.add(tf.matMul(z, folded.w), folded.b), n === 0 ? 'sigmoid' : 'relu');
    let h = tf.reshape(flat, [z.shape[0], k, k, -1]) as tf.Tensor4D;
    for (let i = 1; i <= n; i++) h = deconv(p, `${prefix}dec${i}`, h, 2, i === n ? 'sigmoid' : 'relu');
    return h;
  });
}

/** Standard-normal noise from our Rng, so reparameterisation is reproducible from (seed, step). */
export function normalNoise(rng: Rng, shape: number[]): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal();
  return tf.tensor(out, shape, 'float32');
}

export interface VaeLoss {
  loss: tf.Scalar;
  metrics: { recon_loss: tf.Scalar; kl: tf.Scalar; mse: tf.Scalar };
}

/**
 * The VAE loss on a batch x [B, S, S, 3] in [0, 1]; `eps` is the reparameterisation noise [B, zDim]. `weights`
 * [B, S, S, 1] (pixelWeights) weigh each pixel's squared error in recon_loss: Σ w·(x − y)² per image; absent = 1
 * everywhere (the paper). `mse` stays the unweighted mean, comparable across weights.
 */
export function vaeLoss(p: Params, cfg: VaeConfig, x: tf.Tensor4D, eps: tf.Tensor, weights?: tf.Tensor4D): VaeLoss {
  const { mu, logvar } = encode(p, cfg, x);
  const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logvar, 0.5)), eps)) as tf.Tensor2D;
  const recon = decode(p, cfg, z);
  const sq = tf.square(tf.sub(x, recon));
  const reconLoss = tf.mean(tf.sum(weights ? tf.mul(sq, weights) : sq, [1, 2, 3]));
  // KL(q(z|x) ‖ N(0, I)) per sample, floored at klTolerance·zDim (WMx vae.py).
  const kl = tf.mul(-0.5, tf.sum(tf.sub(tf.sub(tf.add(1, logvar), tf.square(mu)), tf.exp(logvar)), 1));
  const klFloored = tf.mean(tf.maximum(kl, cfg.klTolerance * cfg.zDim));
  return {
    loss: tf.add(reconLoss, klFloored) as tf.Scalar,
    metrics: { recon_loss: reconLoss as tf.Scalar, kl: tf.mean(kl) as tf.Scalar, mse: tf.mean(sq) as tf.Scalar },
  };
}

/**
 * The foreground-weighted loss's pixel weights [B, S, S, 1] of uint8 frames [B·S·S·3]: cfg.foregroundWeight where a
 * pixel is foreground against `mean` (the training episodes' mean frame at the model's size, 0–255), 1 elsewhere
 * (media/foreground.ts foregroundWeights, the RSSM's helper). Null when the weight is 1 (the plain SSE).
 */
export function pixelWeights(
  frames: Uint8Array,
  batch: number,
  cfg: VaeConfig,
  mean: ArrayLike<number>,
): tf.Tensor4D | null {
  if (cfg.foregroundWeight === 1) return null;
  const S = cfg.imageSize;
  return tf.tensor4d(foregroundWeights(frames, batch, mean, cfg.foregroundWeight), [batch, S, S, 1]);
}

/** uint8 frames [B·S·S·3] → float [B, S, S, 3] in [0, 1]. */
export function framesToTensor(frames: Uint8Array, batch: number, size: number): tf.Tensor4D {
  return tf.tidy(() => tf.div(tf.tensor4d(Float32Array.from(frames), [batch, size, size, 3]), 255));
}

/** One VAE training step on a batch of frames; the guard in Adam skips non-finite steps. */
export function vaeTrainStep(
  p: Params,
  cfg: VaeConfig,
  opt: Adam,
  x: tf.Tensor4D,
  rng: Rng,
  poison = false,
  weights?: tf.Tensor4D,
): OptimizerStepResult {
  const eps = normalNoise(rng, [x.shape[0], cfg.zDim]);
  try {
    return opt.step(() => vaeLoss(p, cfg, x, eps, weights), poison);
  } finally {
    eps.dispose();
  }
}

/**
 * For `oneiro bench` (row vae-train-b32) and `oneiro doctor`: builds the default-preset VAE (64×64, z 32,
 * conv 32-64-128-256, deconv 128·5 64·5 32·6 3·6) with Adam, and returns a function running one full
 * training step (forward, backward, Adam) on a given batch [B, 64, 64, 3] in [0, 1].
 */
export function makeDefaultVaeTrainStep(seed = 0): {
  step: (x: tf.Tensor4D) => number;
  dispose: () => void;
  config: VaeConfig;
} {
  const cfg = PRESETS.default.vae;
  const rng = new Rng(seed);
  const params = initVae(cfg, rng);
  const opt = new Adam(params, { lr: cfg.lr });
  return {
    config: cfg,
    step: (x) => vaeTrainStep(params, cfg, opt, x, rng).loss,
    dispose: () => {
      opt.dispose();
      for (const v of Object.values(params)) v.dispose();
    },
  };
}
