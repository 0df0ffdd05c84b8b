import type * as tf from '@tensorflow/tfjs-core';
import type { LatentState, LatentWorldModel } from '../models/latent-world-model.ts';

/**
 * A behaviour acts (and possibly learns) inside any latent world model, through `LatentWorldModel` only
 * (DreamerV3's task_behavior): the CEM planner plans, the Dreamer actor-critic learns in imagination. The
 * runner owns the env, the episodes and the schedule; a behaviour owns its parameters and optimisers and is
 * checkpointed as its own parameter group (`behavior/…`).
 */
export type BehaviorKind = 'cem' | 'actor-critic' | 'controller' | 'plan2explore' | 'achiever' | 'lexa';

export interface BehaviorCheckpoint {
  tensors: Record<string, tf.Tensor>;
  state: Record<string, unknown>;
}

export interface Behavior {
  readonly kind: BehaviorKind;
  /**
   * The action for one state ([1, …]): host [A] (one-hot for discrete spaces). `seed` null = the deterministic
   * choice (evaluation); a number = a sampled one (collection), exploration noise is added by the agent.
   */
  act(wm: LatentWorldModel, state: LatentState, seed: number | null): Float32Array;
  /** One learning update in imagination from B·T start states (planners have none); metrics unprefixed. */
  update?(wm: LatentWorldModel, starts: LatentState, seed: number, batch?: StartBatchInfo): BehaviorUpdate;
  checkpoint(): BehaviorCheckpoint;
  restore(ckpt: BehaviorCheckpoint): void;
  dispose(): void;
}

/**
 * The structure of the start states where the family gives it (`TrainSession.startBatch`): window length T
 * (states are window-major, b·T + t) and the frames' encoder embeddings. Behaviours that need neither ignore it.
 */
export interface StartBatchInfo {
  seqLength: number;
  embeds?: tf.Tensor2D;
}

export interface BehaviorUpdate {
  /** False when an update was skipped (non-finite loss or gradient). */
  applied: boolean;
  reason?: string;
  metrics: Record<string, number>;
}
