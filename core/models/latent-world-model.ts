import type * as tf from '@tensorflow/tfjs-core';
import type { Space } from '../envs/types.ts';

/**
 * What a behaviour (core/agents: CEM planner, Dreamer actor-critic, CMA-ES controller, …) needs from a
 * latent world model, and nothing more: behaviours never see weight names or family internals. Declared
 * here so families implement it without importing upward (DreamerV3 agent.py splits `WorldModel` from
 * `task_behavior` the same way).
 *
 * Every tensor is batched along its first axis (N states). A `LatentState` is opaque to behaviours: a record
 * of [N, …] tensors the family interprets (RSSM: deter, stoch; World Models: z, h, c). Tensors returned by
 * any method belong to the caller (dispose them, or call inside tf.tidy); the methods are differentiable, so
 * a behaviour can backpropagate through `imagine` into its own parameters (Dreamer's dynamics backprop).
 */
export type LatentState = Record<string, tf.Tensor>;

/** Chooses actions [N, A] from features [N, F] at imagination step `t` (0-based). */
export type LatentPolicy = (features: tf.Tensor2D, t: number) => tf.Tensor2D;

export interface Imagined {
  /** Features of the start state and of each imagined state: [H + 1, N, F] (index 0 = start). */
  features: tf.Tensor3D;
  /** The actions the policy took at states 0 … H−1: [H, N, A]. */
  actions: tf.Tensor3D;
  /** The last imagined state (for chaining). */
  last: LatentState;
}

export interface LatentWorldModel {
  /** Size of `features` (what heads, actors and critics read). */
  readonly featureSize: number;
  /** Action width: a box's dimensions, or the number of discrete actions (one-hot). */
  readonly actionDim: number;
  readonly actionSpace: Space;
  /** Square frame size the model filters (frames of other sizes are resized by the caller). */
  readonly imageSize: number;
  /** True when `continuation` is a learned head; false: a constant 1 (World Models has no such head). */
  readonly hasContinuation: boolean;
  /** False when `reward` is a constant 0 rather than a learned head (object-graph: 2D Shapes pays nothing). */
  readonly hasReward?: boolean;

  /** The state before any observation, for N parallel streams. */
  initialState(n: number): LatentState;
  /**
   * Filters one real step into the state: the action that led to the frame ([N, A]) and the frame itself
   * (uint8 [N·S·S·3], S = imageSize). `sample` null takes the posterior's mode.
   */
  observe(prev: LatentState, action: tf.Tensor2D, frames: Uint8Array, sample: number | null): LatentState;
  /**
   * Posterior states of every step of a batch of real sequences (frames uint8 [B·T·S·S·3], actions [B, T, A],
   * isFirst [B, T] 0/1), flattened to B·T states: the start states of Dreamer's imagination (§1.0).
   */
  observeSequences(frames: Uint8Array, actions: tf.Tensor3D, isFirst: tf.Tensor2D, sample: number | null): LatentState;
  /**
   * Rolls the model's prior forward `horizon` steps under `policy` from `start`. `sample` seeds the latent
   * draws (null: the prior's mode at every step, as PlaNet's planner rolls it).
   */
  imagine(start: LatentState, policy: LatentPolicy, horizon: number, sample: number | null): Imagined;
  /** Features of a state: [N, F]. */
  features(state: LatentState): tf.Tensor2D;
  /** Predicted reward for arriving in the states with these features: [N]. */
  reward(features: tf.Tensor2D): tf.Tensor1D;
  /** Probability that the episode continues after these states: [N] (ones without a continuation head). */
  continuation(features: tf.Tensor2D): tf.Tensor1D;
  /** Frees a state's tensors. */
  disposeState(state: LatentState): void;
  /**
   * The decoder's frames for states with these features: uint8 [N·S·S·3] (S = imageSize). Families whose
   * features carry no pixel decoder leave it out; the workbench shows a behaviour's imagined rollout with it.
   */
  decode?(features: tf.Tensor2D): Uint8Array;

  /**
   * Goal-conditioned behaviours (LEXA's achiever) read goals as the encoder's embedding of a goal image
   * (lexa configs.yaml `gc_input: embed`). Families without an image encoder leave these out, and the
   * achiever refuses to be built on them with a one-line message.
   */
  readonly embedSize?: number;
  /** The encoder's embedding of frames (uint8 [N·S·S·3]): [N, embedSize]. */
  embed?(frames: Uint8Array, n: number): tf.Tensor2D;
  /**
   * Features of the state a goal embedding filters into from the initial state with a zero action, the
   * posterior mode (lexa models.py `get_init_feat_embed`): [N, F]. The cosine reward compares against these.
   */
  goalFeatures?(embed: tf.Tensor2D): tf.Tensor2D;
  /**
   * The stochastic part ([N, S]) of states with these features: Plan2Explore's prediction target (lexa
   * `disag_target: stoch`) and the temporal distance's input (lexa `dd_inp: feat` reads `stoch`).
   */
  stochastic?(features: tf.Tensor2D): tf.Tensor2D;
}

/**
 * A batch of imagination start states with the structure some behaviours need: `states` are the B·T posterior
 * states of B replay windows of length `seqLength`, flattened window-major (index b·T + t); `embeds` are the
 * encoder embeddings of the same B·T frames where the family has an encoder (LEXA's training goals).
 */
export interface StartBatch {
  states: LatentState;
  seqLength: number;
  embeds?: tf.Tensor2D;
}

/** Keeps every tensor of a state (for states that outlive a tf.tidy). */
export function stateTensors(s: LatentState): tf.Tensor[] {
  return Object.values(s);
}
