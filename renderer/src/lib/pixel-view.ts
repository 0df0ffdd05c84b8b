/**
 * What the UI says about where a dream's frames come from, and how two open loops line up on one episode
 * (compare mode). Plain functions: the views stay thin and this stays testable.
 */
import type { OpenLoopReply, PixelView } from '../../../core/contract/channels.ts';

export const PIXEL_VIEW_LABEL: Record<PixelView, string> = {
  decoder: "model's decoder",
  probe: 'probe decoder',
  retrieval: 'retrieval',
};

export const PIXEL_VIEW_HINT: Record<PixelView, string> = {
  decoder: 'frames drawn by the model itself',
  probe: 'frames drawn by a probe decoder trained on the frozen model’s features (not by the model)',
  retrieval: 'the real training frame whose features are nearest to the predicted state (not drawn by the model)',
};

/** Caption of imagined state t of a behaviour's dream (s_0 is the filtered start frame), naming a non-decoder view. */
export const imaginedCaption = (t: number, pixels: PixelView) =>
  `${t === 0 ? 'filtered start state' : `imagined · step ${t}`}${pixels === 'decoder' ? '' : ` · ${PIXEL_VIEW_LABEL[pixels]}`}`;

/** Episode step of row i of an open-loop reply (rows start at the first context frame). */
export const firstStep = (r: OpenLoopReply) => r.start - r.context + 1;

/** The episode steps both replies cover, in order (the compare chart's x axis and scrubber). */
export function compareSteps(a: OpenLoopReply, b: OpenLoopReply): number[] {
  const lo = Math.min(firstStep(a), firstStep(b));
  const hi = Math.max(firstStep(a) + a.truth.shape[0], firstStep(b) + b.truth.shape[0]) - 1;
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

/** Row of the reply at an episode step, or null when the reply does not cover it. */
export function rowAt(r: OpenLoopReply, step: number): number | null {
  const i = step - firstStep(r);
  return i >= 0 && i < r.truth.shape[0] ? i : null;
}

/** A per-row series of a reply laid on the compare steps (null where the reply has no row). */
export function alignSeries(r: OpenLoopReply, values: ArrayLike<number>, steps: number[]): (number | null)[] {
  return steps.map((s) => {
    const i = rowAt(r, s);
    return i === null || !Number.isFinite(values[i]) ? null : values[i];
  });
}
