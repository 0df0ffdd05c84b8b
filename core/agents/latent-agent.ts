import * as tf from '@tensorflow/tfjs-core';
import type { Observation } from '../envs/types.ts';
import { resizeFrames } from '../media/frames.ts';
import type { LatentState, LatentWorldModel } from '../models/latent-world-model.ts';
import { Rng } from '../util/rng.ts';
import type { Behavior } from './behavior.ts';
import type { Agent } from './rollout.ts';

/**
 * An agent in a real env that thinks in a latent world model (PlaNet's and Dreamer's collection loop): it keeps
 * a belief, filtering each real frame (with the action that led to it) into the model's state, and asks its
 * behaviour for the action. Exploration (`noise` > 0, training collection): Gaussian noise of that std on box
 * actions, clipped to the box (PlaNet, Dreamer v1: 0.3), or a uniformly random action with that probability on
 * discrete ones (DreamerV2 expl_noise); the behaviour also samples instead of taking its mode.
 */
export interface LatentAgentOptions {
  noise: number;
  seed: number;
  /** Size of the env's frames (resized to the model's). */
  frameSize: number;
  /** Sample from the behaviour (training collection) instead of its deterministic choice. */
  explore: boolean;
}

export class LatentAgent implements Agent {
  private state: LatentState | null = null;
  private prevAction: Float32Array;
  private readonly rng: Rng;
  private seedBase: number;

  constructor(
    readonly wm: LatentWorldModel,
    readonly behavior: Behavior,
    private readonly opts: LatentAgentOptions,
  ) {
    this.prevAction = new Float32Array(wm.actionDim);
    this.rng = new Rng(opts.seed);
    this.seedBase = (opts.seed * 7919) >>> 0;
  }

  reset(): void {
    this.disposeState();
    this.prevAction = new Float32Array(this.wm.actionDim);
  }

  act = (obs: Observation): Float32Array => {
    const wm = this.wm;
    const frame = resizeFrames(obs.image, 1, this.opts.frameSize, wm.imageSize);
    const prev = this.state ?? wm.initialState(1);
    const next = tf.tidy(() => wm.observe(prev, tf.tensor2d(this.prevAction, [1, wm.actionDim]), frame, null));
    wm.disposeState(prev);
    this.state = next;
    this.seedBase = (this.seedBase + 1013) >>> 0;
    const a = this.behavior.act(wm, next, this.opts.explore || this.behavior.kind === 'cem' ? this.seedBase : null);
    const space = wm.actionSpace;
    const noise = this.opts.noise;
    if (space.kind === 'box') {
      for (let i = 0; i < a.length; i++) {
        const v = a[i] + (noise > 0 ? noise * this.rng.normal() : 0);
        a[i] = Math.min(space.high[i], Math.max(space.low[i], v));
      }
    } else if (noise > 0 && this.rng.next() < noise) {
      a.fill(0);
      a[this.rng.int(space.n)] = 1;
    }
    this.prevAction = a;
    return Float32Array.from(a);
  };

  private disposeState(): void {
    if (!this.state) return;
    this.wm.disposeState(this.state);
    this.state = null;
  }

  dispose(): void {
    this.disposeState();
  }
}
