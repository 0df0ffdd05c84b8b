import * as tf from '@tensorflow/tfjs-core';
import type { Episode } from '../../data/episode.ts';
import type { Space } from '../../envs/types.ts';
import { resizeFrames } from '../../media/frames.ts';
import { UserError } from '../../util/errors.ts';
import { Rng } from '../../util/rng.ts';
import { assignParams, disposeParams, namedParams } from '../nn.ts';
import type { ObjectGraphConfig } from './config.ts';
import {
  encodeObjects,
  extractObjects,
  framesTensor,
  initObjectGraph,
  transition,
  type ObjectGraphParams,
} from './networks.ts';

/** Frames per forward pass when encoding many (eval.py's batch size). */
export const ENCODE_CHUNK = 100;

/** The env's action width: a discrete space's one-hot size or a box's dimensions. */
export function envActionDim(space: Space): number {
  return space.kind === 'discrete' ? space.n : space.shape.reduce((a, b) => a * b, 1);
}

/** Refuses an action space the configured action mode cannot split (one line, naming the fix). */
export function checkActionSpace(c: ObjectGraphConfig, space: Space): void {
  if (c.model.actionMode !== 'per-object') return;
  const A = envActionDim(space);
  if (space.kind !== 'discrete' || A % c.model.numObjects !== 0)
    throw new UserError(
      `object-graph config: actionMode 'per-object' needs a discrete action space of numObjects (${c.model.numObjects}) × actions per object, got ${space.kind === 'discrete' ? `${A} discrete actions` : 'a continuous box'}: use actionMode 'copy' (--set actionMode=copy) or set numObjects to a divisor of ${A}`,
    );
}

/**
 * A C-SWM's parameters with the few operations everything else is built from (training, evaluation,
 * behaviours, the renderer): encode frames to slot states, predict the next state under an action.
 */
export class ObjectGraphModel {
  readonly og: ObjectGraphParams;
  readonly actionDim: number;

  constructor(
    readonly config: ObjectGraphConfig,
    readonly actionSpace: Space,
    seed: number,
  ) {
    checkActionSpace(config, actionSpace);
    this.actionDim = envActionDim(actionSpace);
    this.og = initObjectGraph(config, this.actionDim, new Rng(seed));
  }

  get stateSize(): number {
    return this.config.model.numObjects * this.config.model.embeddingDim;
  }

  /** Frames of any square size → the extractor's input size, as floats [N, S, S, 3]. */
  frames(frames: Uint8Array, n: number): tf.Tensor4D {
    const from = Math.round(Math.sqrt(frames.length / (3 * Math.max(1, n))));
    const S = this.config.model.imageSize;
    return framesTensor(resizeFrames(frames, n, from, S), n, S);
  }

  /** Slot states [N, K, D] of frames (evaluation mode: batch norm with running statistics). */
  encode(frames: Uint8Array, n: number): tf.Tensor3D {
    return tf.tidy(() => encodeObjects(this.og, extractObjects(this.og, this.config, this.frames(frames, n))));
  }

  /** Slot masks [N, K, m·m] of frames (evaluation mode), for the renderer. */
  masks(frames: Uint8Array, n: number): tf.Tensor3D {
    return tf.tidy(() => extractObjects(this.og, this.config, this.frames(frames, n)));
  }

  /** z + Δz: the next state under action rows [N, A]. */
  next(z: tf.Tensor3D, action: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => tf.add(z, transition(this.og, this.config, z, action)));
  }

  /** Slot states of every row of an episode, flattened [T · K · D] (host), encoded in chunks. */
  encodeEpisode(ep: Episode): Float32Array {
    const T = ep.imageShape[0];
    const px = ep.imageShape[1] * ep.imageShape[2] * 3;
    const out = new Float32Array(T * this.stateSize);
    for (let s = 0; s < T; s += ENCODE_CHUNK) {
      const n = Math.min(ENCODE_CHUNK, T - s);
      const z = this.encode(ep.image.subarray(s * px, (s + n) * px), n);
      out.set(z.dataSync(), s * this.stateSize);
      z.dispose();
    }
    return out;
  }

  tensors(): Record<string, tf.Tensor> {
    return { ...namedParams(this.og.params), ...namedParams(this.og.stats, 'stats/') };
  }

  load(named: Record<string, tf.Tensor>): void {
    assignParams(this.og.params, named);
    assignParams(this.og.stats, named, 'stats/');
  }

  dispose(): void {
    disposeParams(this.og.params);
    disposeParams(this.og.stats);
  }
}
