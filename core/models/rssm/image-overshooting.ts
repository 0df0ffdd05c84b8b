import * as tf from '@tensorflow/tfjs-core';
import type { RssmModelConfig } from './config.ts';
import type { SeqBatch } from './world-model.ts';
import type { Params } from '../nn.ts';
import { decode } from './networks.ts';
import { pixelNll } from './objectives/reconstruction.ts';
import { overshootingMask } from './overshooting.ts';
import { type RssmSeq, features, imgStep } from './rssm.ts';

/**
 * Image overshooting (loss.imageOvershooting): the open-loop dream trained on pixels. From the posterior state at
 * every `stride`-th step t of a window (t = 0, stride, 2·stride, … with t + D < T), the prior runs d = 1..D steps
 * under the real actions a_{t+1..t+d}, taking its mode as the evaluation's dream does (rssm.ts draw without seeds;
 * straight-through for categoricals), and each imagined state is decoded against the real frame:
 *   (1/|V|) Σ_{(t,d) ∈ V} −ln N(x_{t+d} | dec(ŝ_{t+d|t}), 1)   (pixelNll; if `weighted`, with the image term's pixel
 *   weights, or with `foregroundWeight` in place of the image term's on the same foreground)
 * V: the pairs with no episode start in (t, t+d]. This is the k-step prediction objective of action-conditional
 * video prediction (Oh et al. 2015 §3.2; Chiappa et al. 2017), which PlaNet §4 sets aside for its cost in favour of
 * latent overshooting. Our departure (issue 11 item 2): the measure is the mode's open-loop image error, and a mode
 * trained only one step ahead commits to one pole angle that the pixels ten steps on never correct.
 */

/** Start steps t = 0, stride, … with t + distance < length. */
export function imageOvershootingStarts(length: number, distance: number, stride: number): number[] {
  const out: number[] = [];
  for (let t = 0; t + distance < length; t += stride) out.push(t);
  return out;
}

/**
 * Validity of each decoded dream frame, in the loss's row order: distance d (1..D) major, then start, then window
 * b. 1 when no episode starts in (t, t+d] of window b (latent overshooting's rule, overshootingMask), else 0.
 * isFirst [B·T] row-major.
 */
export function imageOvershootingMask(
  isFirst: ArrayLike<number>,
  b: number,
  t: number,
  starts: number[],
  distance: number,
): Float32Array {
  const m = new Float32Array(distance * starts.length * b);
  let i = 0;
  for (let d = 1; d <= distance; d++) {
    const valid = overshootingMask(isFirst, b, t, d);
    for (const s of starts) for (let r = 0; r < b; r++) m[i++] = valid[r * t + s];
  }
  return m;
}

/** Rows (:, t) of x [B, T, ...] for each t in `steps`, concatenated: [steps·B, ...] (start-major). */
function atSteps(x: tf.Tensor, steps: number[]): tf.Tensor {
  const [b] = x.shape;
  const rest = x.shape.slice(2);
  return tf.concat(
    steps.map((t) => tf.reshape(tf.slice(x, [0, t], [-1, 1]), [b, ...rest])),
    0,
  );
}

/**
 * The image term's pixel weights (decoder.foregroundWeight w on the foreground, 1 elsewhere) re-weighted to the
 * dreams' own w': 1 + (x − 1)·(w' − 1)/(w − 1) maps w to w' and keeps 1. The config refuses w' without w > 1.
 */
function ownWeight(imageWeight: tf.Tensor, c: RssmModelConfig, w: number): tf.Tensor {
  return tf.add(1, tf.mul(tf.sub(imageWeight, 1), (w - 1) / (c.decoder.foregroundWeight - 1)));
}

export interface ImageOvershootingResult {
  loss: tf.Scalar;
  /** Masked mean −ln p per distance d = 1..D (for logs and tests). */
  nllPerDistance: tf.Scalar[];
}

export function imageOvershootingLoss(
  p: Params,
  c: RssmModelConfig,
  post: RssmSeq,
  batch: SeqBatch,
): ImageOvershootingResult {
  const { distance: D, stride } = c.loss.imageOvershooting;
  const [b, t] = post.deter.shape;
  const starts = imageOvershootingStarts(t, D, stride);
  if (D === 0 || starts.length === 0) return { loss: tf.scalar(0), nllPerDistance: [] };
  let state = { deter: atSteps(post.deter, starts) as tf.Tensor2D, stoch: atSteps(post.stoch, starts) as tf.Tensor2D };
  const feats: tf.Tensor2D[] = [];
  for (let d = 1; d <= D; d++) {
    const a = atSteps(
      batch.action,
      starts.map((s) => s + d),
    );
    state = imgStep(p, c, state, a, null);
    feats.push(features(state));
  }
  // One decode over every dreamed frame (one weight pack per layer), rows d-major as the mask.
  const frames = D * starts.length;
  const targetSteps = Array.from(
    { length: frames },
    (_, i) => starts[i % starts.length] + Math.floor(i / starts.length) + 1,
  );
  const recon = decode(p, c, tf.concat(feats, 0) as tf.Tensor2D);
  const target = atSteps(batch.image, targetSteps);
  const { weighted, foregroundWeight } = c.loss.imageOvershooting;
  const imageWeight = weighted && batch.pixelWeight ? atSteps(batch.pixelWeight, targetSteps) : undefined;
  const weight = imageWeight && foregroundWeight !== null ? ownWeight(imageWeight, c, foregroundWeight) : imageWeight;
  const nll = pixelNll(c, recon, target, weight, weighted ? batch.foregroundMean : undefined);
  const mask = tf.tensor1d(imageOvershootingMask(batch.isFirstHost, b, t, starts, D));
  const masked = tf.mul(nll, mask);
  const rows = starts.length * b;
  const nllPerDistance = Array.from({ length: D }, (_, i) => {
    const m = tf.slice(mask, [i * rows], [rows]);
    return tf.div(tf.sum(tf.slice(masked, [i * rows], [rows])), tf.maximum(tf.sum(m), 1)) as tf.Scalar;
  });
  return { loss: tf.div(tf.sum(masked), tf.maximum(tf.sum(mask), 1)) as tf.Scalar, nllPerDistance };
}
