import * as tf from '@tensorflow/tfjs-core';
import type { Achiever } from '../agents/achiever.ts';
import { LatentAgent } from '../agents/latent-agent.ts';
import { rolloutEpisode } from '../agents/rollout.ts';
import { makeEnv } from '../envs/registry.ts';
import type { EnvGoal } from '../envs/types.ts';
import { resizeFrames } from '../media/frames.ts';
import type { LatentWorldModel } from '../models/latent-world-model.ts';
import { UserError } from '../util/errors.ts';
import { restoredEnv } from './env-restore.ts';
import { filterFrames } from './filter-frames.ts';
import { cosineDistance } from './goal-dream.ts';

/**
 * The real side of "goals from any frame": the achiever pursuing the goal in the built-in env the episode came
 * from, next to its dream. The env is set to the episode's recorded state at the start row (core/runs/env-restore.ts;
 * episodes record no reset seed to replay from) and its first frame is compared with the recorded one; the
 * achiever then acts with the goal's embedding for the dream's horizon through the one rollout loop, as
 * `oneiro eval --goals` does (LatentAgent: deterministic, no noise, its belief filtered from the env's start frame
 * on). Reported per real row: the frame at the model's size; 1 − cos(f, g) with f the features of the real frames
 * filtered after the dream's own context frames (so row 0 is the dream's s_0 when the start is exact); and success
 * by the env's own test — the env goal whose test the goal frame's recorded state passes (the goal frame is then a
 * success state of that goal), judged at the last row as the benchmark does; none passes → no success test.
 */
export interface GoalRealInput {
  /** The dataset's built-in env, its frame size and action repeat (as collected). */
  env: string;
  envSize: number;
  actionRepeat: number | null;
  /** The episode's recorded state and frame (at the env's size) at the start row. */
  startState: Float32Array;
  startFrame: Uint8Array;
  /** The dream's context frames before the start (model size, uint8 [(n−1)·S·S·3]) and the actions of all n rows. */
  contextFrames: Uint8Array;
  contextActions: Float32Array;
  /** The goal frame at the model's size and the goal row's recorded state (null when the episode has none). */
  goal: Uint8Array;
  goalState: Float32Array | null;
  horizon: number;
  seed: number;
}

export interface GoalSuccess {
  /** The env goal whose test is applied (e.g. 'north-east', 'pad 2'). */
  test: string;
  /** [T]: 1 where the real state passes it. */
  steps: Uint8Array;
  /** Passed at the last row (the benchmark's rule). */
  reached: boolean;
  first: number | null;
}

export interface GoalReal {
  env: string;
  /** The env's first frame equals the recorded start frame byte for byte. */
  startExact: boolean;
  /** Why the real start may differ (what the recorded state leaves out, differing pixels); null when exact. */
  startNote: string | null;
  /** Real rows 0 … T−1 (T ≤ horizon + 1; fewer when the env ended the episode) at the model's size. */
  frames: Uint8Array;
  steps: number;
  /** The env's true state per real row, float32 [T·d]. */
  state: Float32Array;
  cosineDistance: Float32Array;
  success: GoalSuccess | null;
  /** Why there is no success test (null when there is one). */
  successNote: string | null;
}

/** The env goal whose own test the goal state passes, or why there is none. */
export function envGoalOf(goals: EnvGoal[], goalState: Float32Array | null): EnvGoal | string {
  if (!goalState) return 'no success test for this goal: its episode records no env state';
  if (goals.length === 0) return 'no success test for this goal: the env has no goal list';
  return (
    goals.find((g) => g.success(goalState)) ??
    `no success test for this goal: its state passes none of the env's ${goals.length} goal tests (${goals.map((g) => g.name).join(', ')})`
  );
}

export function goalReal(wm: LatentWorldModel, achiever: Achiever, o: GoalRealInput): GoalReal {
  if (!wm.embed || !wm.goalFeatures) throw new UserError('this world model has no encoder to embed the goal with');
  const S = wm.imageSize;
  const F = S * S * 3;
  const A = wm.actionDim;
  const base = makeEnv(o.env, {
    size: o.envSize,
    maxSteps: o.horizon,
    ...(o.actionRepeat ? { actionRepeat: o.actionRepeat } : {}),
  });
  const { env, missing } = restoredEnv(base, o.startState);
  achiever.setGoal(wm.embed(o.goal, 1));
  const agent = new LatentAgent(wm, achiever, { noise: 0, seed: o.seed, frameSize: o.envSize, explore: false });
  let episode;
  try {
    episode = rolloutEpisode(env, agent, o.seed, o.horizon).episode;
  } finally {
    agent.dispose();
  }
  const [T, H, W] = episode.imageShape;
  const E = H * W * 3;
  const first = episode.image.subarray(0, E);
  let differ = 0;
  for (let p = 0; p < E; p += 3)
    if (first[p] !== o.startFrame[p] || first[p + 1] !== o.startFrame[p + 1] || first[p + 2] !== o.startFrame[p + 2])
      differ++;
  const startExact = o.startFrame.length === E && differ === 0;
  const notes = [
    ...(missing ? [missing] : []),
    ...(startExact ? [] : [`the env's start frame differs from the recorded one in ${differ} of ${E / 3} pixels`]),
  ];
  const frames = resizeFrames(episode.image, T, W, S);

  // Distances: the dream's context before the start, then the real rows with the actions that led to them.
  const actions = new Float32Array((o.contextFrames.length / F + T) * A);
  actions.set(o.contextActions);
  actions.set(episode.action.subarray(A), o.contextActions.length);
  const all = new Uint8Array(o.contextFrames.length + frames.length);
  all.set(o.contextFrames);
  all.set(frames, o.contextFrames.length);
  const n = o.contextFrames.length / F;
  const feats: tf.Tensor2D[] = [];
  const last = filterFrames(wm, all, actions, {
    each: (s, i) => {
      if (i >= n) feats.push(tf.tidy(() => wm.features(s)));
    },
  });
  wm.disposeState(last);
  const dist = tf.tidy(() => {
    const g = wm.goalFeatures!(wm.embed!(o.goal, 1));
    return cosineDistance(tf.concat(feats, 0), g);
  });
  tf.dispose(feats);
  const cos = Float32Array.from(dist.dataSync());
  dist.dispose();

  const st = episode.extra?.state;
  if (!st) throw new UserError(`env '${o.env}' records no state, so the real start and goal success cannot be shown`);
  const d = st.shape[1];
  const state = st.data as Float32Array;
  const target = envGoalOf(base.goals?.() ?? [], o.goalState);
  let success: GoalSuccess | null = null;
  if (typeof target !== 'string') {
    const steps = Uint8Array.from({ length: T }, (_, t) =>
      target.success(state.subarray(t * d, (t + 1) * d)) ? 1 : 0,
    );
    const at = steps.indexOf(1);
    success = { test: target.name, steps, reached: steps[T - 1] === 1, first: at < 0 ? null : at };
  }
  return {
    env: o.env,
    startExact,
    startNote: notes.length ? notes.join('; ') : null,
    frames,
    steps: T - 1,
    state,
    cosineDistance: cos,
    success,
    successNote: typeof target === 'string' ? target : null,
  };
}
