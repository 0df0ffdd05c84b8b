import * as tf from '@tensorflow/tfjs-core';
import { decode, initDecoder } from '../networks.ts';
import { eitherForegroundWeight, imageNll } from '../losses.ts';
import type { RssmModelConfig } from '../config.ts';
import type { RepresentationObjective } from './objective.ts';

/**
 * −ln p of target frames under decoded means, per image [N], with the decoder's pixel weights: the foreground-weighted
 * loss (decoder.foregroundWeight > 1, `pixelWeight` [N, H, W] of the targets) and its 'either' mask, else the plain
 * likelihood. The one pixel loss of the RSSM: reconstructions here, open-loop dreams in image-overshooting.ts.
 */
export function pixelNll(
  config: RssmModelConfig,
  recon: tf.Tensor4D,
  target: tf.Tensor,
  pixelWeight?: tf.Tensor,
  foregroundMean?: tf.Tensor3D,
): tf.Tensor1D {
  const [n, h, w] = recon.shape;
  const targetWeight = pixelWeight ? tf.reshape(pixelWeight, [n, h, w, 1]) : undefined;
  const weight =
    targetWeight && config.decoder.foregroundMask === 'either' && foregroundMean
      ? eitherForegroundWeight(recon, foregroundMean, targetWeight, config.decoder.foregroundWeight)
      : targetWeight;
  return imageNll(recon, tf.reshape(target, recon.shape), weight);
}

/**
 * The pixel likelihood of PlaNet and Dreamer (mission-anchors §1.0 "Image likelihood"): the decoder's mean of
 * Normal(·, 1) over H·W·C from the posterior features, −ln p summed per image and averaged over B·T.
 */
export const reconstruction: RepresentationObjective = {
  kind: 'reconstruction',
  decodesPixels: true,
  init: (params, c, _embed, rng) => initDecoder(params, c, rng),
  terms({ params, config, batch, feat }) {
    const recon = decode(params, config, feat);
    const nll = pixelNll(config, recon, batch.image, batch.pixelWeight, batch.foregroundMean);
    return { image: { value: tf.mean(nll) as tf.Scalar, scale: config.loss.imageScale } };
  },
};
