import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The World Models VAE training step used by `oneiro bench` (row vae-train-b32) and
 * `oneiro doctor`. It is the product model (core/models/world-models/vae.ts,
 * makeDefaultVaeTrainStep) when that file is present, else a functional copy of the same
 * architecture here, so the bench never measures something else silently (`source` says which).
 * Architecture (World Models ConvVAE, 64×64×3): encoder conv 32-64-128-256 (k4 s2 'valid', ReLU),
 * latent 32, decoder dense 1024 → deconv 128·5, 64·5, 32·6, 3·6 (s2), sigmoid;
 * loss = per-image SSE + max(KL, 0.5·32), Adam.
 */
export interface VaeStep {
  step(x: tf.Tensor4D): number;
  dispose(): void;
  source: 'core/models/world-models/vae.ts' | 'bench fallback';
}

const productFile = fileURLToPath(new URL('../models/world-models/vae.ts', import.meta.url));

export async function makeVaeStep(seed = 0): Promise<VaeStep> {
  if (existsSync(productFile)) {
    const mod = (await import(productFile)) as {
      makeDefaultVaeTrainStep?: (seed?: number) => { step: (x: tf.Tensor4D) => number; dispose: () => void };
    };
    if (typeof mod.makeDefaultVaeTrainStep === 'function') {
      const s = mod.makeDefaultVaeTrainStep(seed);
      return { step: s.step, dispose: s.dispose, source: 'core/models/world-models/vae.ts' };
    }
  }
  return fallbackVae(seed);
}

/** The bench's own copy of the architecture (used when the product model is absent). */
export function fallbackVae(seed: number): VaeStep {
  let k = seed;
  const v = (shape: number[], fanIn: number) =>
    tf.variable(tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', ++k));
  const enc = [3, 32, 64, 128, 256];
  const p: Record<string, tf.Variable> = {};
  for (let i = 0; i < 4; i++) {
    p[`e${i}`] = v([4, 4, enc[i], enc[i + 1]], 16 * enc[i]);
    p[`eb${i}`] = tf.variable(tf.zeros([enc[i + 1]]));
  }
  p.mu = v([1024, 32], 1024);
  p.lv = v([1024, 32], 1024);
  p.din = v([32, 1024], 32);
  const dec = [1024, 128, 64, 32, 3];
  const dk = [5, 5, 6, 6];
  for (let i = 0; i < 4; i++) {
    p[`d${i}`] = v([dk[i], dk[i], dec[i + 1], dec[i]], dk[i] * dk[i] * dec[i]);
    p[`db${i}`] = tf.variable(tf.zeros([dec[i + 1]]));
  }
  const opt = tf.train.adam(1e-4);
  const loss = (x: tf.Tensor4D, eps: tf.Tensor) => {
    const b = x.shape[0];
    let h: tf.Tensor4D = x;
    for (let i = 0; i < 4; i++)
      h = tf.relu(tf.add(tf.conv2d(h, p[`e${i}`] as tf.Tensor4D, 2, 'valid'), p[`eb${i}`])) as tf.Tensor4D;
    const flat = tf.reshape(h, [b, 1024]) as tf.Tensor2D;
    const mu = tf.matMul(flat, p.mu);
    const lv = tf.matMul(flat, p.lv);
    const z = tf.add(mu, tf.mul(tf.exp(tf.mul(lv, 0.5)), eps)) as tf.Tensor2D;
    let d = tf.reshape(tf.matMul(z, p.din), [b, 1, 1, 1024]) as tf.Tensor4D;
    let size = 1;
    for (let i = 0; i < 4; i++) {
      size = (size - 1) * 2 + dk[i];
      d = tf.add(
        tf.conv2dTranspose(d, p[`d${i}`] as tf.Tensor4D, [b, size, size, dec[i + 1]], 2, 'valid'),
        p[`db${i}`],
      );
      d = i === 3 ? tf.sigmoid(d) : tf.relu(d);
    }
    const recon = tf.mean(tf.sum(tf.square(tf.sub(x, d)), [1, 2, 3]));
    const kl = tf.mul(-0.5, tf.sum(tf.sub(tf.sub(tf.add(1, lv), tf.square(mu)), tf.exp(lv)), 1));
    return tf.add(recon, tf.mean(tf.maximum(kl, 0.5 * 32))) as tf.Scalar;
  };
  let step = 0;
  return {
    source: 'bench fallback',
    step: (x) => {
      const eps = tf.randomNormal([x.shape[0], 32], 0, 1, 'float32', seed * 1000003 + ++step);
      const l = opt.minimize(() => loss(x, eps), true)!;
      const out = l.dataSync()[0];
      tf.dispose([l, eps]);
      return out;
    },
    dispose: () => {
      opt.dispose();
      tf.dispose(Object.values(p));
    },
  };
}
