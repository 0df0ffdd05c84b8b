import * as tf from '@tensorflow/tfjs-core';
import { decode, initDecoder } from '../networks.ts';
import { eitherForegroundWeight, imageNll } from '../losses.ts';
import type { RepresentationObjective } from './objective.ts';

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
    const target = tf.reshape(batch.image, recon.shape);
    // Per-pixel weights of the foreground-weighted loss (decoder.foregroundWeight > 1), else the plain likelihood.
    const [n, h, w] = recon.shape;
    const targetWeight = batch.pixelWeight ? tf.reshape(batch.pixelWeight, [n, h, w, 1]) : undefined;
    const weight =
      targetWeight && config.decoder.foregroundMask === 'either' && batch.foregroundMean
        ? eitherForegroundWeight(recon, batch.foregroundMean, targetWeight, config.decoder.foregroundWeight)
        : targetWeight;
    return { image: { value: tf.mean(imageNll(recon, target, weight)) as tf.Scalar, scale: config.loss.imageScale } };
  },
};
