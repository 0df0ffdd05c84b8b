import * as tf from '@tensorflow/tfjs-core';
import type { RssmModelConfig } from './config.ts';
import { encoderOutputSize, featureSize } from './config.ts';
import { type Params, conv, deconv, dense, initConv, initDeconv, initDense, initMlp } from '../nn.ts';
import { act } from './activation.ts';
import type { Rng } from '../../util/rng.ts';

/**
 * Conv encoder / decoder and MLP heads of PlaNet and Dreamer (mission-anchors §1.2–1.4):
 * encoder: stride-2 'valid' convs of depth·2^i channels (kernel 4), flattened;
 * decoder: dense 32·depth → 1×1 → stride-2 transposed convs (kernels 5,5,6,6 at 64px) → the mean of Normal(·, 1);
 * heads: MLPs on the features [deter, stoch]. Parameters live in one flat nn.ts Params object.
 */
export function embedSize(c: RssmModelConfig): number {
  const s = encoderOutputSize(c.image.size, c.encoder.kernels);
  return s * s * c.encoder.depth * 2 ** (c.encoder.kernels.length - 1);
}

export function initEncoder(params: Params, c: RssmModelConfig, rng: Rng): void {
  let inC = c.image.channels;
  c.encoder.kernels.forEach((k, i) => {
    const outC = c.encoder.depth * 2 ** i;
    initConv(params, `enc/conv${i}`, k, inC, outC, rng);
    inC = outC;
  });
}

/** images [N, H, W, C] (already scaled to [−0.5, 0.5]) → embeddings [N, E]. */
export function encode(params: Params, c: RssmModelConfig, images: tf.Tensor4D): tf.Tensor2D {
  let x = images;
  c.encoder.kernels.forEach((_, i) => {
    x = act(conv(params, `enc/conv${i}`, x, 2, 'linear'), c.encoder.act) as tf.Tensor4D;
  });
  return tf.reshape(x, [x.shape[0], -1]);
}

/** images [B, T, H, W, C] → [B, T, E] in one batched pass over B·T. */
export function encodeSequence(params: Params, c: RssmModelConfig, images: tf.Tensor): tf.Tensor3D {
  const [b, t] = images.shape;
  const flat = tf.reshape(images, [b * t, c.image.size, c.image.size, c.image.channels]) as tf.Tensor4D;
  return tf.reshape(encode(params, c, flat), [b, t, -1]);
}

export function decoderChannels(c: RssmModelConfig): number[] {
  const n = c.decoder.kernels.length;
  return c.decoder.kernels.map((_, i) => (i === n - 1 ? c.image.channels : c.decoder.depth * 2 ** (n - 2 - i)));
}

export function initDecoder(params: Params, c: RssmModelConfig, rng: Rng): void {
  const fcOut = 32 * c.decoder.depth;
  initDense(params, 'dec/fc', featureSize(c), fcOut, rng);
  let inC = fcOut;
  const chans = decoderChannels(c);
  c.decoder.kernels.forEach((k, i) => {
    initDeconv(params, `dec/deconv${i}`, k, inC, chans[i], rng);
    inC = chans[i];
  });
}

/** features [N, F] → image means [N, H, W, C]. Called on all B·T features at once (one weight pack per layer). */
export function decode(params: Params, c: RssmModelConfig, feat: tf.Tensor2D): tf.Tensor4D {
  let x = tf.reshape(dense(params, 'dec/fc', feat), [feat.shape[0], 1, 1, 32 * c.decoder.depth]) as tf.Tensor4D;
  const n = c.decoder.kernels.length;
  for (let i = 0; i < n; i++) {
    x = act(deconv(params, `dec/deconv${i}`, x, 2, 'linear'), i === n - 1 ? 'none' : c.decoder.act) as tf.Tensor4D;
  }
  return x;
}

export { initMlp };

/** Scalar MLP head: [N, F] → [N]. */
export function mlpScalar(params: Params, name: string, c: RssmModelConfig, x: tf.Tensor2D): tf.Tensor1D {
  let h = x;
  for (let i = 0; i < c.heads.layers; i++) h = act(dense(params, `${name}/h${i}`, h), c.heads.act) as tf.Tensor2D;
  return tf.reshape(dense(params, `${name}/out`, h), [-1]);
}

/** uint8 pixels → Dreamer's scaling uint8/255 − 0.5 (mission-anchors §1.0 "Image scaling"). */
export function preprocessImages(pixels: tf.Tensor): tf.Tensor {
  return tf.sub(tf.div(tf.cast(pixels, 'float32'), 255), 0.5);
}
