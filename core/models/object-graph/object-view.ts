import * as tf from '@tensorflow/tfjs-core';
import type { Episode } from '../../data/episode.ts';
import { maskSide } from './config.ts';
import type { ObjectGraphModel } from './model.ts';
import { edgeMessages } from './networks.ts';

/**
 * What a C-SWM sees in one frame and what it predicts from it, for a view of the objects (issue 16 "seeing
 * objects"): each slot's extractor mask, the slot states, the graph's edge strengths, and a k-step prediction
 * shown by retrieval — the real frame whose encoding is nearest to the predicted state, and the rank of the true
 * frame among all candidate frames (ties in its favour, as eval.py ranks). The model decodes no pixels: the
 * frame shown for a prediction is always a real one, and says so.
 */
export interface ObjectView {
  numObjects: number;
  embeddingDim: number;
  /** Side of each mask (small extractor: frame / 10). */
  maskSide: number;
  /** [K · m · m] in [0, 1]: slot k's sigmoid mask, row-major. */
  masks: Float32Array;
  /** [K · D]: the slot states of the frame. */
  slots: Float32Array;
  /** [K · K]: ‖e_ij‖ of the message from slot j into slot i (0 on the diagonal: no self-loops). */
  edges: Float32Array;
}

export interface Retrieval {
  /** Steps predicted from the frame. */
  k: number;
  /** The candidate frame nearest to the prediction: index into the candidates' (episode, row) list. */
  nearest: { episode: number; row: number };
  /** 0-based rank of the true frame (row start + k of the same episode) among all candidates. */
  trueRank: number;
  candidates: number;
}

/** Masks, slot states and edge strengths of frame `row` of an episode. */
export function objectView(model: ObjectGraphModel, ep: Episode, row: number): ObjectView {
  const c = model.config;
  const px = ep.imageShape[1] * ep.imageShape[2] * 3;
  const frame = ep.image.subarray(row * px, (row + 1) * px);
  const K = c.model.numObjects;
  const [masks, slots, edges] = tf.tidy(() => {
    const m = model.masks(frame, 1);
    const z = model.encode(frame, 1);
    const e = edgeMessages(model.og, c, z); // [1, K, K, H]
    return [m, z, tf.sqrt(tf.sum(tf.square(e), 3))];
  });
  const out: ObjectView = {
    numObjects: K,
    embeddingDim: c.model.embeddingDim,
    maskSide: maskSide(c),
    masks: masks.dataSync() as Float32Array,
    slots: slots.dataSync() as Float32Array,
    edges: edges.dataSync() as Float32Array,
  };
  tf.dispose([masks, slots, edges]);
  return out;
}

/**
 * The k-step prediction from frame `start` of `episodes[ep]` under its own actions, retrieved among every frame
 * of `episodes` (their encodings `encoded[i]`, from ObjectGraphModel.encodeEpisode).
 */
export function retrievePrediction(
  model: ObjectGraphModel,
  episodes: Episode[],
  encoded: Float32Array[],
  ep: number,
  start: number,
  k: number,
): Retrieval {
  const F = model.stateSize;
  const A = model.actionDim;
  const episode = episodes[ep];
  const pred = tf.tidy(() => {
    let z = tf.reshape(tf.tensor1d(encoded[ep].slice(start * F, (start + 1) * F)), [
      1,
      model.config.model.numObjects,
      model.config.model.embeddingDim,
    ]) as tf.Tensor3D;
    for (let t = 0; t < k; t++)
      z = model.next(z, tf.tensor2d(episode.action.slice((start + t + 1) * A, (start + t + 2) * A), [1, A]));
    return z;
  });
  const p = pred.dataSync();
  pred.dispose();
  const dist = (e: number, row: number) => {
    let s = 0;
    for (let d = 0; d < F; d++) s += (encoded[e][row * F + d] - p[d]) ** 2;
    return s;
  };
  const own = dist(ep, start + k);
  let trueRank = 0,
    candidates = 0,
    best = Infinity;
  let nearest = { episode: ep, row: start + k };
  encoded.forEach((enc, e) => {
    for (let row = 0; row < enc.length / F; row++) {
      const d = dist(e, row);
      candidates++;
      if (d < own) trueRank++;
      if (d < best) {
        best = d;
        nearest = { episode: e, row };
      }
    }
  });
  return { k, nearest, trueRank, candidates };
}
