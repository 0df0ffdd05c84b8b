import * as tf from '@tensorflow/tfjs-core';
import type { Episode } from '../data/episode.ts';
import { pixelMse, resizeFrames } from '../media/frames.ts';
import { openLoopSpan, type DreamSession, type OpenLoopOptions, type OpenLoopResult } from './family.ts';
import type { LatentState, LatentWorldModel } from './latent-world-model.ts';

/**
 * The open loop and the interactive dream of any latent world model, through its `LatentWorldModel` view
 * alone, with frames from a renderer given by the caller (a probe decoder, nearest-frame retrieval). This is
 * how a model that decodes no pixels (LoadedModel.pixels 'none') is shown: the model filters and imagines as
 * usual; only the features → frame step is not the model's.
 */

/** Features [N, F] → uint8 frames [N·S·S·3] at the model's size; `exclude` names an episode not to show. */
export type FeatureRenderer = (features: tf.Tensor2D) => Uint8Array;

/** Filters from `filterFrom` (default the context's first frame), then imagines under the episode's (or the given) actions. */
export function latentOpenLoop(
  wm: LatentWorldModel,
  ep: Episode,
  o: OpenLoopOptions,
  render: FeatureRenderer | null,
): OpenLoopResult {
  const [T, H] = ep.imageShape;
  const S = wm.imageSize;
  const A = wm.actionDim;
  const px = S * S * 3;
  // Filtered from `first`; the last `context` filtered frames are the returned context.
  const { from: first, contextFrom: ctxFirst } = openLoopSpan(o);
  const context = o.start - ctxFirst + 1;
  const frames = resizeFrames(ep.image, T, H, S);
  const dreamActions = new Float32Array(o.horizon * A);
  if (o.actions) dreamActions.set(o.actions.subarray(0, o.horizon * A));
  else dreamActions.set(ep.action.subarray((o.start + 1) * A, Math.min(T, o.start + 1 + o.horizon) * A));
  const sample = o.temperature > 0 ? o.seed : null;

  let state: LatentState = wm.initialState(1);
  const ctxFeats: tf.Tensor2D[] = [];
  try {
    for (let t = first; t <= o.start; t++) {
      const next = tf.tidy(() => {
        // The first filtered frame starts the stream: no action led to it (Dreamer's is_first zeroes it).
        const a = t === first ? tf.zeros([1, A]) : tf.tensor2d(ep.action.subarray(t * A, (t + 1) * A), [1, A]);
        return wm.observe(
          state,
          a as tf.Tensor2D,
          frames.subarray(t * px, (t + 1) * px),
          sample === null ? null : sample + t,
        );
      });
      wm.disposeState(state);
      state = next;
      if (t >= ctxFirst) ctxFeats.push(wm.features(state));
    }
    const start = state;
    const out = tf.tidy(() => {
      const im = wm.imagine(
        start,
        (_f, t) => tf.tensor2d(dreamActions.subarray(t * A, (t + 1) * A), [1, A]),
        o.horizon,
        sample,
      );
      const feats = tf.reshape(tf.slice(im.features, [1, 0, 0], [o.horizon, 1, wm.featureSize]), [
        o.horizon,
        wm.featureSize,
      ]) as tf.Tensor2D;
      return { feats, reward: wm.reward(feats) };
    });
    try {
      const ctx = tf.tidy(() => tf.concat(ctxFeats) as tf.Tensor2D);
      const contextRecon = render ? render(ctx) : new Uint8Array(context * px);
      ctx.dispose();
      const dream = render ? render(out.feats) : new Uint8Array(o.horizon * px);
      const dreamIndices = Array.from({ length: o.horizon }, (_, i) => o.start + 1 + i);
      const nTruth = dreamIndices.filter((i) => i < T).length;
      const truth = frames.slice((o.start + 1) * px, (o.start + 1 + nTruth) * px);
      return {
        size: S,
        contextIndices: Array.from({ length: context }, (_, i) => ctxFirst + i),
        dreamIndices,
        context: frames.slice(ctxFirst * px, (o.start + 1) * px),
        truth,
        contextRecon,
        dream,
        mse: dreamIndices.map((_, i) => (render && i < nTruth ? pixelMse(dream, truth, i * px, i * px, px) : NaN)),
        // No reward row where the model has no reward head (its `reward` is a constant).
        ...(wm.hasReward === false ? {} : { reward: Array.from(out.reward.dataSync()) }),
        ...(o.features ? { features: { dim: wm.featureSize, data: out.feats.dataSync() as Float32Array } } : {}),
      };
    } finally {
      tf.dispose([out.feats, out.reward]);
    }
  } finally {
    wm.disposeState(state);
    tf.dispose(ctxFeats);
  }
}

/** Play a dream step by step through the latent view, each state shown by `render`. */
export function latentDreamSession(
  wm: LatentWorldModel,
  render: FeatureRenderer,
  opts: { temperature: number; seed: number },
): DreamSession {
  const S = wm.imageSize;
  const A = wm.actionDim;
  let state: LatentState | null = null;
  let t = 0;
  const sample = () => (opts.temperature > 0 ? opts.seed + t : null);
  const show = (s: LatentState) => {
    const f = wm.features(s);
    try {
      return render(f);
    } finally {
      f.dispose();
    }
  };
  const replace = (s: LatentState) => {
    if (state) wm.disposeState(state);
    state = s;
  };
  return {
    size: S,
    actionSpace: wm.actionSpace,
    reset(frame) {
      const from = Math.round(Math.sqrt(frame.length / 3));
      t = 0;
      const init = wm.initialState(1);
      const a = tf.zeros([1, A]) as tf.Tensor2D;
      try {
        replace(wm.observe(init, a, resizeFrames(frame, 1, from, S), sample()));
      } finally {
        wm.disposeState(init);
        a.dispose();
      }
      return show(state!);
    },
    step(action) {
      if (!state) throw new Error('dream session: call reset(frame) before step(action)');
      const cur = state;
      t += 1;
      const r = tf.tidy(() => {
        const im = wm.imagine(cur, () => tf.tensor2d(Float32Array.from(action), [1, A]), 1, sample());
        const f = wm.features(im.last);
        return { last: im.last, info: tf.concat([wm.reward(f), wm.continuation(f)]) };
      });
      const [reward, cont] = r.info.dataSync();
      r.info.dispose();
      replace(r.last);
      return { frame: show(r.last), reward, done: cont < 0.5 };
    },
    state: () => state,
    dispose() {
      if (state) wm.disposeState(state);
      state = null;
    },
  };
}
