import * as tf from '@tensorflow/tfjs-core';
import type { Episode } from '../../data/episode.ts';
import type { Space } from '../../envs/types.ts';
import { pixelMse, resizeFrames, toUint8 } from '../../media/frames.ts';
import {
  openLoopSpan,
  type DreamSession,
  type EvalMetric,
  type OpenLoopOptions,
  type OpenLoopResult,
} from '../family.ts';
import { type Params, dense } from '../nn.ts';
import { featureSize, type RssmModelConfig } from './config.ts';
import { klDivergence } from './distributions.ts';
import { decode, encode, encodeSequence, mlpScalar } from './networks.ts';
import { SeedStream } from './seed-stream.ts';
import { type RssmSeq, features, imagine, imgStep, initialState, observe, obsStep, seqFeatures } from './rssm.ts';

/**
 * RSSM open loops, filtered features and its own held-out metrics. Pixel values are in [0, 1]; predictions use
 * the latent mode (deterministic) unless a temperature > 0 asks for samples.
 */

const toModel = (c: RssmModelConfig, frames: Uint8Array, n: number, from: number) =>
  tf.sub(
    tf.div(
      tf.tensor(Float32Array.from(resizeFrames(frames, n, from, c.image.size)), [n, c.image.size, c.image.size, 3]),
      255,
    ),
    0.5,
  );

/** Decoded means [N, S, S, 3] → [0, 1] floats on the host. */
function toUnit(x: tf.Tensor): Float32Array {
  const y = tf.tidy(() => tf.clipByValue(tf.add(x, 0.5), 0, 1));
  const out = y.dataSync() as Float32Array;
  y.dispose();
  return out;
}

/** Features of the last n steps of each sequence: [B·n, F]. */
function lastFeatures(s: RssmSeq, n: number): tf.Tensor2D {
  const [b, t] = s.deter.shape;
  const f = tf.reshape(seqFeatures(s), [b, t, -1]);
  return tf.reshape(tf.slice(f, [0, t - n, 0], [-1, n, -1]), [b * n, -1]);
}

/**
 * Open-loop rollouts for B windows: observe `context` real frames (rows 0..context−1 of each window), then
 * imagine `horizon` steps under the windows' real actions (rows context..). frames uint8 [B, context+horizon, S, S, 3]
 * at the model's size. Returns the dream [B·horizon·S·S·3] and the context reconstructions, in [0, 1], the reward
 * head's prediction per dream step [B·horizon], and (when asked) the dream's features [B·horizon, F]. Only the
 * last `reconLast` context frames of each window are reconstructed.
 */
export function openLoopWindows(
  p: Params,
  c: RssmModelConfig,
  frames: Uint8Array,
  actions: Float32Array,
  B: number,
  context: number,
  horizon: number,
  seeds: SeedStream | null,
  withFeatures = false,
  decodePixels = true,
  reconLast = context,
): { dream: Float32Array; recon: Float32Array; reward: Float32Array; features: Float32Array | null } {
  const S = c.image.size;
  const L = context + horizon;
  const A = c.actionDim;
  const px = S * S * 3;
  const ctxFrames = new Uint8Array(B * context * px);
  for (let b = 0; b < B; b++) ctxFrames.set(frames.subarray(b * L * px, (b * L + context) * px), b * context * px);
  const out = tf.tidy(() => {
    const img = tf.reshape(toModel(c, ctxFrames, B * context, S), [B, context, S, S, 3]);
    const act = tf.tensor3d(actions, [B, L, A]);
    const isFirst = tf.concat([tf.ones([B, 1]), tf.zeros([B, context - 1])], 1) as tf.Tensor2D;
    const embed = encodeSequence(p, c, img);
    const { post, last } = observe(p, c, embed, tf.slice(act, [0, 0], [-1, context]) as tf.Tensor3D, isFirst, seeds);
    const dreamSeq = imagine(p, c, last, tf.slice(act, [0, context], [-1, horizon]) as tf.Tensor3D, seeds);
    const feat = seqFeatures(dreamSeq);
    return {
      ...(decodePixels
        ? {
            dream: decode(p, c, feat),
            // Only the last reconLast observed frames are decoded (a window filtered from the episode's start).
            recon: decode(p, c, lastFeatures(post, reconLast)),
          }
        : {}),
      reward: mlpScalar(p, 'reward', c, feat),
      ...(withFeatures ? { feat } : {}),
    } as Record<string, tf.Tensor>;
  });
  const res = {
    dream: out.dream ? toUnit(out.dream) : new Float32Array(0),
    recon: out.recon ? toUnit(out.recon) : new Float32Array(0),
    reward: out.reward.dataSync() as Float32Array,
    features: out.feat ? (out.feat.dataSync() as Float32Array) : null,
  };
  tf.dispose(Object.values(out));
  return res;
}

/**
 * Filters a whole episode through the posterior in chunks of ≤ 100 rows carrying the state, and hands each
 * chunk's outputs to `use` (inside a tidy: tensors it returns are kept). Row 0 starts from the initial state.
 */
function observeEpisode(
  p: Params,
  c: RssmModelConfig,
  ep: Episode,
  use: (o: { s0: number; n: number; post: RssmSeq; prior: RssmSeq }) => Record<string, tf.Tensor>,
  onChunk: (s0: number, n: number, out: Record<string, tf.Tensor>) => void,
): void {
  const [T, H] = ep.imageShape;
  const S = c.image.size;
  const A = c.actionDim;
  let state: { deter: tf.Tensor2D; stoch: tf.Tensor2D } | null = null;
  for (let s0 = 0; s0 < T; s0 += 100) {
    const n = Math.min(100, T - s0);
    const r: Record<string, tf.Tensor> = tf.tidy(() => {
      const img = tf.reshape(toModel(c, ep.image.subarray(s0 * H * H * 3, (s0 + n) * H * H * 3), n, H), [
        1,
        n,
        S,
        S,
        3,
      ]);
      const act = tf.tensor3d(ep.action.subarray(s0 * A, (s0 + n) * A), [1, n, A]);
      const isFirst = tf.tensor2d(Float32Array.from(ep.isFirst.subarray(s0, s0 + n)), [1, n]);
      const { post, prior, last } = observe(p, c, encodeSequence(p, c, img), act, isFirst, null, state ?? undefined);
      return { ...use({ s0, n, post, prior }), deter__: last.deter, stoch__: last.stoch };
    });
    const { deter__, stoch__, ...rest } = r;
    onChunk(s0, n, rest);
    tf.dispose(Object.values(rest));
    if (state) tf.dispose([state.deter, state.stoch]);
    state = { deter: deter__ as tf.Tensor2D, stoch: stoch__ as tf.Tensor2D };
  }
  if (state) tf.dispose([state.deter, state.stoch]);
}

/** Features [deter, stoch] of the filtered (posterior) state at every row of an episode: [T, F]. */
export function rssmFilterFeatures(p: Params, c: RssmModelConfig, ep: Episode): { dim: number; data: Float32Array } {
  const T = ep.imageShape[0];
  const F = featureSize(c);
  const data = new Float32Array(T * F);
  observeEpisode(
    p,
    c,
    ep,
    ({ post }) => ({ feat: seqFeatures(post) }),
    (s0, _n, o) => data.set(o.feat.dataSync(), s0 * F),
  );
  return { dim: F, data };
}

/**
 * RSSM-specific held-out metrics: KL(post ‖ prior) against a fixed prior, and the reward head on the filtered
 * state against the training mean. (Open-loop pixel errors, their baselines and the state probe are measured
 * for every family by core/runs/evaluate.ts.)
 */
export function evaluateRssm(
  p: Params,
  c: RssmModelConfig,
  episodes: Episode[],
  trainEpisodes: Episode[],
): Record<string, EvalMetric> {
  let klSum = 0,
    klFixed = 0,
    klN = 0,
    rewErr = 0,
    rewBase = 0,
    rewN = 0;
  let trainRew = 0,
    trainN = 0;
  for (const ep of trainEpisodes)
    for (let t = 1; t < ep.reward.length; t++) {
      trainRew += ep.reward[t];
      trainN++;
    }
  const meanReward = trainN ? trainRew / trainN : 0;
  for (const ep of episodes) {
    observeEpisode(
      p,
      c,
      ep,
      ({ n, post, prior }) => {
        const kl = klDivergence(post.dist, prior.dist);
        const init = initialState(c, n);
        const flatPost =
          post.dist.kind === 'gaussian'
            ? {
                kind: 'gaussian' as const,
                mean: tf.reshape(post.dist.mean, [n, -1]),
                std: tf.reshape(post.dist.std, [n, -1]),
              }
            : {
                kind: 'categorical' as const,
                logits: tf.reshape(post.dist.logits, [n, ...post.dist.logits.shape.slice(2)]),
              };
        const klFix = klDivergence(flatPost, init.dist);
        return { kl: tf.sum(kl), klFix: tf.sum(klFix), rew: mlpScalar(p, 'reward', c, seqFeatures(post)) };
      },
      (s0, n, r) => {
        klSum += r.kl.dataSync()[0];
        klFixed += r.klFix.dataSync()[0];
        klN += n;
        const rew = r.rew.dataSync();
        for (let t = 0; t < n; t++) {
          if (s0 + t === 0) continue; // row 0 has no reward (Dreamer layout)
          const y = ep.reward[s0 + t];
          rewErr += (rew[t] - y) ** 2;
          rewBase += (meanReward - y) ** 2;
          rewN++;
        }
      },
    );
  }
  const out: Record<string, EvalMetric> = {};
  out.kl = {
    model: klSum / Math.max(klN, 1),
    baseline: klFixed / Math.max(klN, 1),
    baseline_name: c.rssm.latent.kind === 'gaussian' ? 'KL to N(0, 1)' : 'KL to uniform',
  };
  out.reward_mse = {
    model: rewErr / Math.max(rewN, 1),
    baseline: rewBase / Math.max(rewN, 1),
    baseline_name: 'train-mean reward',
  };
  return out;
}

/** The window of an open loop on one episode: frames, actions, and the context/dream split. */
function episodeWindow(c: RssmModelConfig, ep: Episode, o: OpenLoopOptions) {
  const [T, H] = ep.imageShape;
  const S = c.image.size;
  const px = S * S * 3;
  const A = c.actionDim;
  // Filtered from `first`; `context` frames observed, of which the last `shown` are returned as the context.
  const { from: first, contextFrom } = openLoopSpan(o);
  const context = o.start - first + 1;
  const shown = o.start - contextFrom + 1;
  const L = context + o.horizon;
  const frames = resizeFrames(ep.image, T, H, S);
  const win = new Uint8Array(L * px);
  win.set(frames.subarray(first * px, Math.min(T, first + L) * px));
  const act = new Float32Array(L * A);
  act.set(ep.action.subarray(first * A, Math.min(T, first + context) * A));
  if (o.actions) act.set(o.actions.subarray(0, o.horizon * A), context * A);
  else act.set(ep.action.subarray((o.start + 1) * A, Math.min(T, o.start + 1 + o.horizon) * A), context * A);
  const seeds = o.temperature > 0 ? new SeedStream(o.seed, o.temperature) : null;
  const dreamIndices = Array.from({ length: o.horizon }, (_, i) => o.start + 1 + i);
  return { T, S, px, first, context, shown, contextFrom, frames, win, act, seeds, dreamIndices };
}

/** The family interface's open loop on one episode (dream strips, the UI). */
export function openLoopEpisode(p: Params, c: RssmModelConfig, ep: Episode, o: OpenLoopOptions): OpenLoopResult {
  const { T, S, px, context, shown, contextFrom, frames, win, act, seeds, dreamIndices } = episodeWindow(c, ep, o);
  const { dream, recon, reward, features } = openLoopWindows(
    p,
    c,
    win,
    act,
    1,
    context,
    o.horizon,
    seeds,
    o.features ?? false,
    true,
    shown,
  );
  const dream8 = toUint8(dream);
  const nTruth = dreamIndices.filter((i) => i < T).length;
  const truth = frames.slice((o.start + 1) * px, (o.start + 1 + nTruth) * px);
  return {
    size: S,
    contextIndices: Array.from({ length: shown }, (_, i) => contextFrom + i),
    dreamIndices,
    context: frames.slice(contextFrom * px, (o.start + 1) * px),
    truth,
    contextRecon: toUint8(recon),
    dream: dream8,
    mse: dreamIndices.map((_, i) => (i < nTruth ? pixelMse(dream8, truth, i * px, i * px, px) : NaN)),
    reward: Array.from(reward),
    ...(features ? { features: { dim: featureSize(c), data: features } } : {}),
  };
}

/** Play the dream step by step from a real frame. */
export function rssmDreamSession(
  p: Params,
  c: RssmModelConfig,
  space: Space,
  opts: { temperature: number; seed: number },
): DreamSession {
  const seeds = opts.temperature > 0 ? new SeedStream(opts.seed, opts.temperature) : null;
  let state: { deter: tf.Tensor2D; stoch: tf.Tensor2D } | null = null;
  const frameOf = (s: { deter: tf.Tensor2D; stoch: tf.Tensor2D }) => {
    const x = tf.tidy(() => decode(p, c, features(s)));
    const f = toUint8(toUnit(x));
    x.dispose();
    return f;
  };
  const setState = (s: { deter: tf.Tensor2D; stoch: tf.Tensor2D }) => {
    if (state) tf.dispose([state.deter, state.stoch]);
    state = s;
  };
  return {
    size: c.image.size,
    actionSpace: space,
    reset(frame) {
      const from = Math.round(Math.sqrt(frame.length / 3));
      const next = tf.tidy(() => {
        const init = initialState(c, 1);
        const prior = imgStep(p, c, init, tf.zeros([1, c.actionDim]), null);
        const post = obsStep(
          p,
          c,
          prior.deter,
          dense(p, 'rssm/obs_embed', encode(p, c, toModel(c, frame, 1, from) as tf.Tensor4D)),
          seeds,
        );
        return { deter: post.deter, stoch: post.stoch };
      });
      setState(next);
      return frameOf(next);
    },
    step(action) {
      if (!state) throw new Error('dream session: call reset(frame) before step(action)');
      const cur = state;
      const r = tf.tidy(() => {
        const next = imgStep(p, c, cur, tf.tensor2d(Float32Array.from(action), [1, c.actionDim]), seeds);
        const f = features(next);
        const reward = mlpScalar(p, 'reward', c, f);
        const cont = c.heads.cont ? tf.sigmoid(mlpScalar(p, 'cont', c, f)) : tf.ones([1]);
        return { deter: next.deter, stoch: next.stoch, info: tf.concat([reward, cont]) };
      });
      const [reward, cont] = r.info.dataSync();
      r.info.dispose();
      setState({ deter: r.deter, stoch: r.stoch });
      return {
        frame: frameOf(state as unknown as { deter: tf.Tensor2D; stoch: tf.Tensor2D }),
        reward,
        done: cont < 0.5,
      };
    },
    state: () => state,
    dispose() {
      if (state) tf.dispose([state.deter, state.stoch]);
      state = null;
    },
  };
}
