import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { resizeFrames } from '../media/frames.ts';
import { Rng } from '../util/rng.ts';
import { Adam, type Params, deconv, dense, disposeParams, initDeconv, initDense, namedParams } from './nn.ts';
import { presetConfig } from './preset-config.ts';

/**
 * A probe decoder: a deconv decoder (the shape of PlaNet/Dreamer's, dense 32·depth → 1×1 → stride-2 transposed
 * convs) trained to reconstruct real frames from a frozen model's features. It reads features as plain numbers
 * on the host (LoadedModel.filterFeatures returns a Float32Array), so no gradient can reach the model: it is a
 * stop-gradient readout of what the features hold, for showing a model that decodes no pixels. It has its own
 * parameters and optimiser and never touches the model's.
 */

const int = (min: number, max: number) => z.number().int().min(min).max(max);

export const probeConfigSchema = z.strictObject({
  depth: int(1, 256),
  steps: int(1, 1e6),
  batch: int(1, 1024),
  lr: z.number().positive().max(1),
  /** Frames (rows of the training episodes) the probe trains on at most. */
  maxFrames: int(1, 1e6),
});
export type ProbeConfig = z.infer<typeof probeConfigSchema>;

export const probeConfig = presetConfig<ProbeConfig>({
  family: 'probe decoder',
  schema: probeConfigSchema,
  presets: {
    debug: { depth: 2, steps: 20, batch: 8, lr: 3e-3, maxFrames: 200 },
    // Dreamer's decoder depth (32) and lr 6e-4 (DreamerV1 model_lr); steps enough to learn a CPU-sized set.
    small: { depth: 16, steps: 1000, batch: 32, lr: 1e-3, maxFrames: 5000 },
    default: { depth: 32, steps: 2000, batch: 50, lr: 6e-4, maxFrames: 20000 },
  },
});

/** Transposed-conv kernels from a 1×1 map to S px (Dreamer's 64: [5,5,6,6]); other sizes are resized. */
const KERNELS: Record<number, number[]> = {
  8: [4, 2],
  16: [6, 6],
  32: [5, 6, 6],
  64: [5, 5, 6, 6],
  128: [5, 5, 6, 6, 2],
};

function nativeSize(size: number): number {
  const sizes = Object.keys(KERNELS).map(Number);
  return sizes.find((s) => s >= size) ?? sizes.at(-1)!;
}

export class ProbeDecoder {
  readonly params: Params = {};
  private readonly kernels: number[];
  private readonly native: number;

  constructor(
    readonly featureSize: number,
    readonly imageSize: number,
    readonly depth: number,
    seed: number,
  ) {
    this.native = nativeSize(imageSize);
    this.kernels = KERNELS[this.native];
    const rng = new Rng(seed);
    initDense(this.params, 'probe/fc', featureSize, 32 * depth, rng);
    let inC = 32 * depth;
    this.kernels.forEach((k, i) => {
      const out = i === this.kernels.length - 1 ? 3 : depth * 2 ** (this.kernels.length - 2 - i);
      initDeconv(this.params, `probe/deconv${i}`, k, inC, out, rng);
      inC = out;
    });
  }

  /** features [N, F] → means [N, S, S, 3] in pixels − 0.5 (Dreamer's scaling). */
  decode(feat: tf.Tensor2D): tf.Tensor4D {
    return tf.tidy(() => {
      let x = tf.reshape(dense(this.params, 'probe/fc', feat), [feat.shape[0], 1, 1, 32 * this.depth]) as tf.Tensor4D;
      const n = this.kernels.length;
      for (let i = 0; i < n; i++) x = deconv(this.params, `probe/deconv${i}`, x, 2, i === n - 1 ? 'linear' : 'relu');
      return this.native === this.imageSize ? x : tf.image.resizeBilinear(x, [this.imageSize, this.imageSize]);
    });
  }

  /** features [N, F] → uint8 frames [N·S·S·3]. */
  render(feat: tf.Tensor2D): Uint8Array {
    const y = tf.tidy(() => tf.round(tf.mul(tf.clipByValue(tf.add(this.decode(feat), 0.5), 0, 1), 255)));
    const out = Uint8Array.from(y.dataSync());
    y.dispose();
    return out;
  }

  /**
   * Fits the probe to (feature, frame) pairs: features [N, F] and uint8 frames [N·H·H·3] (any square size).
   * Returns the mean-squared pixel error (in [0,1]² units, as `pixelMse`) over the last tenth of the steps.
   */
  train(
    features: Float32Array,
    frames: Uint8Array,
    cfg: Pick<ProbeConfig, 'steps' | 'batch' | 'lr'>,
    seed: number,
    onStep?: (step: number, loss: number) => void,
  ): { loss: number; steps: number } {
    const F = this.featureSize;
    const n = features.length / F;
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`probe: features of ${features.length} values are not [N, ${F}]`);
    const from = Math.round(Math.sqrt(frames.length / n / 3));
    const S = this.imageSize;
    const px = S * S * 3;
    const target = from === S ? frames : resizeFrames(frames, n, from, S);
    const opt = new Adam(this.params, { lr: cfg.lr, clipNorm: 100 });
    const rng = new Rng(seed);
    const B = Math.min(cfg.batch, n);
    const tail: number[] = [];
    try {
      for (let step = 0; step < cfg.steps; step++) {
        const fb = new Float32Array(B * F);
        const xb = new Float32Array(B * px);
        for (let b = 0; b < B; b++) {
          const i = rng.int(n);
          fb.set(features.subarray(i * F, (i + 1) * F), b * F);
          for (let k = 0; k < px; k++) xb[b * px + k] = target[i * px + k] / 255 - 0.5;
        }
        const f = tf.tensor2d(fb, [B, F]);
        const x = tf.tensor4d(xb, [B, S, S, 3]);
        try {
          const r = opt.step(() => ({ loss: tf.mean(tf.squaredDifference(this.decode(f), x)) as tf.Scalar }));
          if (step >= cfg.steps - Math.max(1, Math.ceil(cfg.steps / 10))) tail.push(r.loss);
          onStep?.(step, r.loss);
        } finally {
          tf.dispose([f, x]);
        }
      }
    } finally {
      opt.dispose();
    }
    return { loss: tail.reduce((a, b) => a + b, 0) / tail.length, steps: cfg.steps };
  }

  tensors(): Record<string, tf.Tensor> {
    return namedParams(this.params);
  }

  dispose(): void {
    disposeParams(this.params);
  }
}
