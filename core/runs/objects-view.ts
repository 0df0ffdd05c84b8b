import type { ReplyOf } from '../contract/channels.ts';
import type { Episode } from '../data/episode.ts';
import { resizeFrames } from '../media/frames.ts';
import type { ObjectGraphModel } from '../models/object-graph/model.ts';
import { objectView, retrievePrediction } from '../models/object-graph/object-view.ts';

/**
 * The `objects:view` reply of an object-graph (C-SWM) run (issue 16 "seeing objects"): the slot masks of one real
 * frame as small grey images, the slot states, the edge strengths, every frame's slot states (the trace), and the
 * k-step prediction shown by retrieval among the candidate episodes' real frames — C-SWM decodes no pixels.
 */

/** Candidate episodes retrieval ranks among (the viewed one first): bounds the work of one call. */
export const MAX_RETRIEVAL_EPISODES = 16;

/** The episode at the model's frame size (the model encodes frames of exactly that size). */
export function atModelSize(ep: Episode, size: number): Episode {
  const [T, H] = ep.imageShape;
  if (H === size) return ep;
  return { ...ep, image: resizeFrames(ep.image, T, H, size), imageShape: [T, size, size, 3] };
}

const frameOf = (ep: Episode, row: number) => {
  const [, S] = ep.imageShape;
  const F = S * S * 3;
  return { shape: [1, S, S, 3] as [number, number, number, 3], data: ep.image.slice(row * F, (row + 1) * F) };
};

/**
 * `episodes[0]` is the viewed episode (already at the model's size), the others the retrieval candidates.
 * `index` maps a position in `episodes` to its episode number in the dataset.
 */
export function objectsViewReply(
  model: ObjectGraphModel,
  head: { runId: string; dataset: string },
  episodes: Episode[],
  index: number[],
  step: number,
  k: number,
): ReplyOf<'objects:view'> {
  const ep = episodes[0];
  const T = ep.imageShape[0];
  const v = objectView(model, ep, step);
  const m = v.maskSide;
  const masks = new Uint8Array(v.numObjects * m * m * 3);
  for (let i = 0; i < v.numObjects * m * m; i++) masks.fill(Math.round(v.masks[i] * 255), i * 3, i * 3 + 3);
  const encoded = episodes.map((e) => model.encodeEpisode(e));
  const kk = Math.min(k, T - 1 - step);
  let retrieval: ReplyOf<'objects:view'>['retrieval'] = null;
  if (kk >= 1) {
    const r = retrievePrediction(model, episodes, encoded, 0, step, kk);
    retrieval = {
      k: kk,
      truth: frameOf(ep, step + kk),
      retrieved: frameOf(episodes[r.nearest.episode], r.nearest.row),
      retrievedEpisode: index[r.nearest.episode],
      retrievedStep: r.nearest.row,
      rank: r.trueRank,
      candidates: r.candidates,
    };
  }
  return {
    ...head,
    episode: index[0],
    step,
    numObjects: v.numObjects,
    embeddingDim: v.embeddingDim,
    frame: frameOf(ep, step),
    masks: { shape: [v.numObjects, m, m, 3], data: masks },
    slots: v.slots,
    edges: v.edges,
    trace: encoded[0],
    retrieval,
  };
}
