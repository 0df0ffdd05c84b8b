import * as tf from '@tensorflow/tfjs-core';
import type { Episode } from '../../data/episode.ts';
import type { Space } from '../../envs/types.ts';
import { pixelMse, resizeFrames, toUint8 } from '../../media/frames.ts';
import { Rng } from '../../util/rng.ts';
import { UserError } from '../../util/errors.ts';
import { openLoopSpan, type DreamSession, type OpenLoopOptions, type OpenLoopResult } from '../family.ts';
import type { Params } from '../nn.ts';
import type { VaeConfig } from './config.ts';
import { MdnCell, type MdnWeights } from './dream-kernel.ts';
import {
  decode,
  decodeFolded,
  encode,
  foldDecoderInput,
  foldedMatches,
  framesToTensor,
  type FoldedDecoderInput,
} from './vae.ts';

/**
 * Dreams of a trained World Model: the VAE maps real frames to z and dreamed z back to frames; the
 * MDN-RNN (dream kernel) rolls z forward under actions. Three forms: open loop under an episode's real
 * actions, under supplied actions (e.g. a policy's), and step by step (DreamSession, for the UI).
 */
export class WorldModelDreamer {
  readonly size: number;

  constructor(
    readonly vae: Params,
    readonly vaeCfg: VaeConfig,
    readonly weights: MdnWeights,
    readonly actionSpace: Space,
  ) {
    this.size = vaeCfg.imageSize;
  }

  /** μ of the encoder for uint8 frames [n, S, S, 3] at the model's size. */
  encodeFrames(frames: Uint8Array, n: number): Float32Array {
    const x = framesToTensor(frames, n, this.size);
    const { mu, logvar } = encode(this.vae, this.vaeCfg, x);
    const out = mu.dataSync() as Float32Array;
    tf.dispose([x, mu, logvar]);
    return out;
  }

  /** Decodes z [n·zDim] into uint8 frames [n, S, S, 3] (through `folded` when given: see foldDecoderInput). */
  decodeLatents(z: Float32Array, n: number, folded?: FoldedDecoderInput): Uint8Array {
    const zt = tf.tensor2d(z, [n, this.weights.zDim]);
    const img = folded ? decodeFolded(this.vae, this.vaeCfg, folded, zt) : decode(this.vae, this.vaeCfg, zt);
    const out = toUint8(img.dataSync());
    tf.dispose([zt, img]);
    return out;
  }

  /** Frames of an episode at the model's size. */
  episodeFrames(ep: Episode): Uint8Array {
    return resizeFrames(ep.image, ep.imageShape[0], ep.imageShape[1], this.size);
  }

  /**
   * Latent open loop: teacher-forced from `filterFrom` (default: the context's first frame) to the start (real μ,
   * real actions), then H dream steps from the last context frame. Returns dreamed z [H·zDim], the real μ of every frame involved, and indices.
   */
  openloopLatents(
    ep: Episode,
    frames: Uint8Array,
    o: OpenLoopOptions,
    mus?: Float32Array,
  ): {
    dreamZ: Float32Array;
    ctxStart: number;
    horizon: number;
    mus: Float32Array;
    reward: number[];
    features: Float32Array | null;
  } {
    const T = ep.imageShape[0];
    const Z = this.weights.zDim;
    const A = ep.actionDim;
    if (!Number.isInteger(o.start) || o.start < 0 || o.start >= T)
      throw new UserError(`--start must be a frame index in [0, ${T - 1}] for this ${T}-frame episode, got ${o.start}`);
    if (A !== this.weights.actionDim)
      throw new UserError(
        `the episode's actions have ${A} columns, the model was trained on ${this.weights.actionDim}`,
      );
    const horizon = o.actions ? Math.floor(o.actions.length / A) : Math.min(o.horizon, T - 1 - o.start);
    if (horizon < 1)
      throw new UserError(`nothing to dream: start ${o.start} is the last frame of a ${T}-frame episode`);
    // M filters from filterFrom (h = 0 there); the last `context` of those frames are the returned context.
    const { from, contextFrom: ctxStart } = openLoopSpan(o);
    const px = this.size * this.size * 3;
    const allMu = mus ?? this.encodeFrames(frames.subarray(0, T * px), T);
    const cell = new MdnCell(this.weights);
    for (let t = from; t < o.start; t++)
      cell.step(allMu.subarray(t * Z, (t + 1) * Z), ep.action.subarray((t + 1) * A, (t + 2) * A));
    const rng = new Rng(o.seed);
    let z: Float32Array = Float32Array.from(allMu.subarray(o.start * Z, (o.start + 1) * Z));
    const dreamZ = new Float32Array(horizon * Z);
    const reward: number[] = [];
    const Fd = Z + this.weights.hidden;
    const features = o.features ? new Float32Array(horizon * Fd) : null;
    for (let k = 1; k <= horizon; k++) {
      const a = o.actions
        ? o.actions.subarray((k - 1) * A, k * A)
        : ep.action.subarray((o.start + k) * A, (o.start + k + 1) * A);
      cell.step(z, a);
      reward.push(cell.reward());
      z = cell.nextZ(o.temperature, rng, new Float32Array(Z));
      dreamZ.set(z, (k - 1) * Z);
      if (features) {
        features.set(z, (k - 1) * Fd);
        features.set(cell.h, (k - 1) * Fd + Z);
      }
    }
    return { dreamZ, ctxStart, horizon, mus: allMu, reward, features };
  }

  /**
   * The controller's view [z_t, h_t] at every row (Ha & Schmidhuber 2018 §2.3: C sees the VAE's z and the
   * MDN-RNN's hidden state): z_t the encoder's μ, h_t the LSTM state after (z_{t−1}, a_t); h_0 = 0. [T, Z + H].
   */
  filterFeatures(ep: Episode): { dim: number; data: Float32Array } {
    const T = ep.imageShape[0];
    const Z = this.weights.zDim;
    const A = ep.actionDim;
    const Fd = Z + this.weights.hidden;
    const mus = this.encodeFrames(this.episodeFrames(ep), T);
    const cell = new MdnCell(this.weights);
    const data = new Float32Array(T * Fd);
    for (let t = 0; t < T; t++) {
      if (t > 0) cell.step(mus.subarray((t - 1) * Z, t * Z), ep.action.subarray(t * A, (t + 1) * A));
      data.set(mus.subarray(t * Z, (t + 1) * Z), t * Fd);
      data.set(cell.h, t * Fd + Z);
    }
    return { dim: Fd, data };
  }

  openloop(ep: Episode, o: OpenLoopOptions): OpenLoopResult {
    const T = ep.imageShape[0];
    const frames = this.episodeFrames(ep);
    const px = this.size * this.size * 3;
    const { dreamZ, ctxStart, horizon, mus, reward, features } = this.openloopLatents(ep, frames, o);
    const Z = this.weights.zDim;
    const nCtx = o.start - ctxStart + 1;
    const dream = this.decodeLatents(dreamZ, horizon);
    const contextRecon = this.decodeLatents(mus.slice(ctxStart * Z, (o.start + 1) * Z), nCtx);
    const nTruth = Math.min(horizon, T - 1 - o.start);
    const truth = frames.slice((o.start + 1) * px, (o.start + 1 + nTruth) * px);
    const mse = Array.from({ length: horizon }, (_, k) =>
      k < nTruth ? pixelMse(dream, truth, k * px, k * px, px) : NaN,
    );
    return {
      size: this.size,
      contextIndices: Array.from({ length: nCtx }, (_, i) => ctxStart + i),
      dreamIndices: Array.from({ length: horizon }, (_, k) => o.start + 1 + k),
      context: frames.slice(ctxStart * px, (o.start + 1) * px),
      truth,
      contextRecon,
      dream,
      mse,
      ...(this.weights.rewardHead ? { reward } : {}),
      ...(features ? { features: { dim: Z + this.weights.hidden, data: features } } : {}),
    };
  }

  session(opts: { temperature: number; seed: number }): DreamSession {
    return new WorldModelDreamSession(this, opts.temperature, opts.seed);
  }
}

/** Step-by-step dream: reset to a real frame, then one imagined frame per action. */
class WorldModelDreamSession implements DreamSession {
  readonly size: number;
  readonly actionSpace: Space;
  private readonly cell: MdnCell;
  private z: Float32Array | null = null;
  private rng: Rng;
  /** The decoder's input layers folded for one-frame decodes (made on the first frame, refolded if reassigned). */
  private folded: FoldedDecoderInput | null = null;

  constructor(
    private readonly d: WorldModelDreamer,
    private readonly temperature: number,
    private readonly seed: number,
  ) {
    this.size = d.size;
    this.actionSpace = d.actionSpace;
    this.cell = new MdnCell(d.weights);
    this.rng = new Rng(seed);
  }

  reset(frame: Uint8Array): Uint8Array {
    const side = Math.round(Math.sqrt(frame.length / 3));
    if (side * side * 3 !== frame.length)
      throw new UserError(`reset() needs a square RGB frame (S·S·3 bytes), got ${frame.length} bytes`);
    this.cell.reset();
    this.rng = new Rng(this.seed);
    this.z = this.d.encodeFrames(resizeFrames(frame, 1, side, this.size), 1);
    return this.decode(this.z);
  }

  private decode(z: Float32Array): Uint8Array {
    if (this.folded && !foldedMatches(this.d.vae, this.folded)) this.dropFolded();
    this.folded ??= foldDecoderInput(this.d.vae, this.d.vaeCfg);
    return this.d.decodeLatents(z, 1, this.folded);
  }

  private dropFolded(): void {
    if (this.folded) tf.dispose([this.folded.w, this.folded.b]);
    this.folded = null;
  }

  step(action: ArrayLike<number>): { frame: Uint8Array; reward: number; done: boolean } {
    if (!this.z) throw new UserError('step() before reset(): start the dream from a real frame first');
    const A = this.d.weights.actionDim;
    if (action.length !== A)
      throw new UserError(`step() needs an action of length ${A} (one-hot for discrete spaces), got ${action.length}`);
    this.cell.step(this.z, action);
    const reward = this.cell.reward();
    const done = this.cell.doneProb() > 0.5;
    this.z = this.cell.nextZ(this.temperature, this.rng, new Float32Array(this.d.weights.zDim));
    return { frame: this.decode(this.z), reward, done };
  }

  dispose(): void {
    this.z = null;
    this.dropFolded();
  }
}
