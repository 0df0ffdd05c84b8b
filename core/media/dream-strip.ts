import { composeGrid, CONTEXT_GREEN, errorFrame, IMAGINED_RED, splitFrames } from './grid.ts';
import { encodeAnimation, encodePng, type AnimationFormat } from './encode.ts';

/**
 * The frames of an open-loop rollout, as a strip needs them. Declared here (media sits below the models); the
 * models' OpenLoopResult extends it.
 */
export interface OpenLoopFrames {
  size: number;
  /** Frame indices of the context frames and of the dreamed frames in the episode. */
  contextIndices: number[];
  dreamIndices: number[];
  /**
   * uint8 [n·S·S·3] each: the real context frames, the real frames of the dream steps (may be fewer than horizon
   * past the episode's end), the model's reconstructions of the context, the dream.
   */
  context: Uint8Array;
  truth: Uint8Array;
  contextRecon: Uint8Array;
  dream: Uint8Array;
}

/**
 * Dreamer-style open-loop strip (mission-anchors.md §3.1): rows truth / model / error over time, the
 * context columns (real frames the model observed; model row = its reconstruction) with a green
 * border, dreamed columns with a red one. Error = (model − truth + 255) / 2, grey = no error.
 */
export function stripColumns(r: OpenLoopFrames): {
  truth: Uint8Array[];
  model: Uint8Array[];
  error: Uint8Array[];
  context: number;
} {
  const S = r.size;
  const nCtx = r.contextIndices.length;
  const nTruth = r.truth.length / (S * S * 3);
  const truth = [...splitFrames(r.context, nCtx, S, S), ...splitFrames(r.truth, nTruth, S, S)];
  const model = [
    ...splitFrames(r.contextRecon, nCtx, S, S),
    ...splitFrames(r.dream, r.dreamIndices.length, S, S),
  ].slice(0, truth.length);
  return { truth, model, error: model.map((m, i) => errorFrame(m, truth[i])), context: nCtx };
}

export async function dreamStripPng(r: OpenLoopFrames, scale = 2): Promise<Uint8Array> {
  const c = stripColumns(r);
  const img = composeGrid([c.truth, c.model, c.error], {
    height: r.size,
    width: r.size,
    scale,
    gap: scale,
    columnBorder: (col) => (col < c.context ? CONTEXT_GREEN : IMAGINED_RED),
    borderWidth: 1,
  });
  return encodePng(img);
}

/** One animation frame per time step: truth over model over error, bordered green/red. */
export async function dreamStripAnimation(
  r: OpenLoopFrames,
  format: AnimationFormat,
  scale = 2,
  fps = 10,
): Promise<Uint8Array> {
  const c = stripColumns(r);
  const frames = c.truth.map((t, i) =>
    composeGrid([[t], [c.model[i]], [c.error[i]]], {
      height: r.size,
      width: r.size,
      scale: 1,
      columnBorder: () => (i < c.context ? CONTEXT_GREEN : IMAGINED_RED),
      borderWidth: 1,
    }),
  );
  const { width, height } = frames[0];
  const all = new Uint8Array(frames.length * width * height * 3);
  frames.forEach((f, i) => all.set(f.data, i * f.data.length));
  return encodeAnimation(all, frames.length, height, width, { format, scale, delayMs: 1000 / fps });
}
