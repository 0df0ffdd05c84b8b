import * as tf from '@tensorflow/tfjs-core';
import { episodeFromRollout, type Episode } from '../data/episode.ts';
import type { Env, Space } from '../envs/types.ts';
import { resizeFrames } from '../media/frames.ts';
import { dense } from '../models/nn.ts';
import type { RssmModelConfig } from '../models/rssm/config.ts';
import { encode } from '../models/rssm/networks.ts';
import { imgStep, initialState, obsStep } from '../models/rssm/rssm.ts';
import type { Params } from '../models/nn.ts';
import { Rng } from '../util/rng.ts';
import { cemPlan, type CemOptions } from './cem.ts';

/**
 * PlaNet's data collection (planet/training + control): the agent keeps a belief with the posterior as real
 * frames arrive, plans each action with CEM in the learned model (model-predictive control: execute the first
 * action, re-plan next step), and adds Gaussian exploration noise (0.3 on training collects, none when testing),
 * clipped to the action box. `runEpisode` records the Dreamer layout (row t = frame t, the action that led to
 * it, the reward on arriving).
 */
export type ActPolicy = (frame: Uint8Array, t: number) => Float32Array;

export function boxBounds(space: Space): { low: number[]; high: number[] } {
  if (space.kind !== 'box') throw new Error('the CEM planner needs a continuous (box) action space');
  return { low: space.low, high: space.high };
}

export class PlanetAgent {
  private state: { deter: tf.Tensor2D; stoch: tf.Tensor2D } | null = null;
  private prevAction: Float32Array;
  private readonly rng: Rng;
  private readonly low: number[];
  private readonly high: number[];
  private seedBase: number;
  /** Model return of the last plan (for logs / tests). */
  lastPlanReturn = NaN;

  constructor(
    private readonly params: Params,
    private readonly config: RssmModelConfig,
    private readonly space: Space,
    private readonly opts: { planner: CemOptions; noise: number; seed: number; frameSize: number },
  ) {
    this.prevAction = new Float32Array(config.actionDim);
    this.rng = new Rng(opts.seed);
    ({ low: this.low, high: this.high } = boxBounds(space));
    this.seedBase = (opts.seed * 7919) >>> 0;
  }

  reset(): void {
    this.disposeState();
    this.prevAction = new Float32Array(this.config.actionDim);
  }

  /** Updates the belief with the new frame (and the previous action), then plans. */
  act: ActPolicy = (frame) => {
    const c = this.config;
    const next = tf.tidy(() => {
      const prev = this.state ?? initialState(c, 1);
      const small = resizeFrames(frame, 1, this.opts.frameSize, c.image.size);
      const x = tf.sub(
        tf.div(tf.tensor4d(Float32Array.from(small), [1, c.image.size, c.image.size, 3]), 255),
        0.5,
      ) as tf.Tensor4D;
      const prior = imgStep(this.params, c, prev, tf.tensor2d(this.prevAction, [1, c.actionDim]), null);
      const post = obsStep(
        this.params,
        c,
        prior.deter,
        dense(this.params, 'rssm/obs_embed', encode(this.params, c, x)),
        null,
      );
      return { deter: post.deter, stoch: post.stoch };
    });
    this.disposeState();
    this.state = next;
    this.seedBase = (this.seedBase + 1013) >>> 0;
    const plan = cemPlan(this.params, c, next, { ...this.opts.planner, low: this.low, high: this.high }, this.seedBase);
    this.lastPlanReturn = plan.meanReturn;
    const a = plan.action;
    for (let i = 0; i < a.length; i++) {
      const v = a[i] + (this.opts.noise > 0 ? this.opts.noise * this.rng.normal() : 0);
      a[i] = Math.min(this.high[i], Math.max(this.low[i], v));
    }
    this.prevAction = a;
    return a;
  };

  private disposeState(): void {
    if (!this.state) return;
    tf.dispose([this.state.deter, this.state.stoch]);
    this.state = null;
  }

  dispose(): void {
    this.disposeState();
  }
}

export function randomPolicy(space: Space, seed: number): ActPolicy {
  const rng = new Rng(seed);
  const { low, high } = boxBounds(space);
  return () => Float32Array.from(low, (lo, i) => rng.uniform(lo, high[i]));
}

/** One episode under `policy`: the Episode (Dreamer layout) and its undiscounted return. */
export function runEpisode(
  env: Env,
  seed: number,
  policy: ActPolicy,
  maxSteps = Infinity,
): { episode: Episode; ret: number } {
  const [H, W] = env.observationShape;
  const A = env.actionSpace.kind === 'box' ? env.actionSpace.shape[0] : env.actionSpace.n;
  let obs = env.reset(seed).image;
  const frames: Uint8Array[] = [obs];
  const actions: Float32Array[] = [new Float32Array(A)];
  const rewards: number[] = [0];
  let terminated = false;
  for (let t = 0; t < maxSteps; t++) {
    const a = policy(obs, t);
    const r = env.step(a);
    obs = r.obs.image;
    frames.push(obs);
    actions.push(a);
    rewards.push(r.reward);
    if (r.terminated || r.truncated) {
      terminated = r.terminated;
      break;
    }
  }
  const action = new Float32Array(frames.length * A);
  actions.forEach((a, t) => action.set(a, t * A));
  const episode = episodeFromRollout({ frames, action, actionDim: A, rewards, terminated, height: H, width: W });
  return { episode, ret: rewards.reduce((a, b) => a + b, 0) };
}
