import * as tf from '@tensorflow/tfjs-core';
import type { Episode } from '../../data/episode.ts';
import type { Replay, ReplayBatch } from '../../data/replay.ts';
import { resizeFrames } from '../../media/frames.ts';
import type { Rng } from '../../util/rng.ts';
import { UserError } from '../../util/errors.ts';
import type { SeqBatch } from './world-model.ts';

/**
 * The RSSM's view of episodes: frames at the model's size and windows of L rows drawn uniformly over all
 * valid windows (a window never crosses an episode boundary), only from the step's Rng, so the data order
 * is a function of (seed, step) and a resumed run draws what an uninterrupted one would.
 */
export interface RssmEpisode {
  /** uint8 [T, S, S, 3] at the model's size. */
  frames: Uint8Array;
  T: number;
  /** float32 [T, A]; row t = the action that led to frame t (Dreamer layout). */
  action: Float32Array;
  reward: Float32Array;
  isFirst: Uint8Array;
  isTerminal: Uint8Array;
}

export function prepareEpisode(ep: Episode, size: number): RssmEpisode {
  const [T, H] = ep.imageShape;
  return {
    frames: resizeFrames(ep.image, T, H, size),
    T,
    action: ep.action,
    reward: ep.reward,
    isFirst: ep.isFirst,
    isTerminal: ep.isTerminal,
  };
}

export interface SequenceArrays {
  image: Uint8Array;
  action: Float32Array;
  reward: Float32Array;
  cont: Float32Array;
  isFirst: Uint8Array;
  B: number;
  L: number;
}

/** Sampled windows as training sees them: frames may be float pixels in [0, 255] (shifted views). */
export type TrainArrays = Omit<SequenceArrays, 'image'> & { image: Uint8Array | Float32Array };

/** B windows of L rows. Episodes shorter than L are never drawn; if none is long enough, a clear error. */
export function sampleWindows(
  eps: RssmEpisode[],
  size: number,
  actionDim: number,
  B: number,
  L: number,
  rng: Rng,
): SequenceArrays {
  const counts = eps.map((e) => Math.max(0, e.T - L + 1));
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) {
    throw new UserError(
      `no episode has ${L} rows (the training sequence length); longest has ${Math.max(0, ...eps.map((e) => e.T))}. Use a smaller train.length or longer episodes`,
    );
  }
  const px = size * size * 3;
  const out: SequenceArrays = {
    image: new Uint8Array(B * L * px),
    action: new Float32Array(B * L * actionDim),
    reward: new Float32Array(B * L),
    cont: new Float32Array(B * L),
    isFirst: new Uint8Array(B * L),
    B,
    L,
  };
  for (let b = 0; b < B; b++) {
    let i = rng.int(total);
    let e = 0;
    while (i >= counts[e]) i -= counts[e++];
    const ep = eps[e];
    const s = i;
    out.image.set(ep.frames.subarray(s * px, (s + L) * px), b * L * px);
    out.action.set(ep.action.subarray(s * actionDim, (s + L) * actionDim), b * L * actionDim);
    out.reward.set(ep.reward.subarray(s, s + L), b * L);
    for (let t = 0; t < L; t++) {
      out.cont[b * L + t] = 1 - ep.isTerminal[s + t];
      // The first row of every window starts from a fresh state, as Dreamer's replay chunks do.
      out.isFirst[b * L + t] = t === 0 ? 1 : ep.isFirst[s + t];
    }
  }
  return out;
}

/** Where a session's training windows come from: B windows of L rows drawn only from `rng`. */
export type WindowSampler = (B: number, L: number, rng: Rng) => SequenceArrays;

/** Windows of episodes held in memory (online runs, tests). */
export function memoryWindows(eps: RssmEpisode[], size: number, actionDim: number): WindowSampler {
  return (B, L, rng) => sampleWindows(eps, size, actionDim, B, L, rng);
}

/**
 * Windows streamed from a dataset on disk (core/data/replay.ts under its cache cap), at the model's frame size.
 * The replay's `draw` makes the same choices from the same Rng as `sampleWindows` over the same episodes in
 * memory, so the two give identical batches.
 */
export function replayWindows(replay: Replay, size: number, actionDim: number): WindowSampler {
  if (replay.A !== actionDim)
    throw new UserError(`the dataset's actions have ${replay.A} dimensions; the model was built for ${actionDim}`);
  return (B, L, rng) => fromReplayBatch(replay.draw(B, L, rng), size);
}

function fromReplayBatch(r: ReplayBatch, size: number): SequenceArrays {
  const { B, L } = r;
  const cont = new Float32Array(B * L);
  const isFirst = new Uint8Array(B * L);
  for (let i = 0; i < B * L; i++) {
    cont[i] = 1 - r.isTerminal[i];
    // The first row of every window starts from a fresh state, as Dreamer's replay chunks do.
    isFirst[i] = i % L === 0 ? 1 : r.isFirst[i];
  }
  return { image: resizeFrames(r.image, B * L, r.H, size), action: r.action, reward: r.reward, cont, isFirst, B, L };
}

/**
 * Host arrays → a SeqBatch of tensors (images scaled to [−0.5, 0.5]); `pixelWeight` [B·L·size·size] becomes the
 * batch's per-pixel image-loss weights, and `foregroundMean` (0–255, [size·size·3]) the mean frame the reconstruction's
 * foreground is taken against (decoder.foregroundMask 'either'), scaled like the images. The caller disposes it.
 */
export function toSeqBatch(
  a: TrainArrays,
  size: number,
  actionDim: number,
  pixelWeight?: Float32Array,
  foregroundMean?: Float32Array,
): SeqBatch {
  const { B, L } = a;
  const dtype = a.image instanceof Float32Array ? 'float32' : 'int32';
  return tf.tidy(() => ({
    image: tf.sub(tf.div(tf.tensor(a.image, [B, L, size, size, 3], dtype), 255), 0.5),
    action: tf.tensor3d(a.action, [B, L, actionDim]),
    reward: tf.tensor2d(a.reward, [B, L]),
    cont: tf.tensor2d(a.cont, [B, L]),
    isFirst: tf.tensor2d(Float32Array.from(a.isFirst), [B, L]),
    isFirstHost: a.isFirst,
    ...(pixelWeight ? { pixelWeight: tf.tensor4d(pixelWeight, [B, L, size, size]) } : {}),
    ...(foregroundMean
      ? { foregroundMean: tf.sub(tf.div(tf.tensor3d(foregroundMean, [size, size, 3]), 255), 0.5) as tf.Tensor3D }
      : {}),
  }));
}

export function disposeSeqBatch(b: SeqBatch): void {
  tf.dispose([b.image, b.action, b.reward, b.cont, b.isFirst]);
  if (b.pixelWeight) b.pixelWeight.dispose();
  if (b.foregroundMean) b.foregroundMean.dispose();
}
