import type * as tf from '@tensorflow/tfjs-core';
import type { Params } from '../../nn.ts';
import type { Rng } from '../../../util/rng.ts';
import type { RssmModelConfig } from '../config.ts';
import type { SeqBatch } from '../world-model.ts';
import type { TrainArrays } from '../batch.ts';
import type { ObjectiveKind } from './config.ts';
import type { RssmSeq } from '../rssm.ts';
import type { SeedStream } from '../seed-stream.ts';

/**
 * A representation objective of the RSSM (issue 15): the loss terms that teach the encoder and the latent state what
 * to keep of an observation. Reconstruction (PlaNet / Dreamer: the pixel likelihood), contrastive (CVRL: InfoNCE
 * between the state and the embedding) and prototypes (DreamerPro: SwAV clusters of an EMA target) are each one file;
 * the world model adds the terms every objective shares (reward, continuation, KL, overshooting) and sums
 * scale·value over the record, as DreamerV3's `losses` dict with its `loss_scales`.
 */
export interface LossTerm {
  value: tf.Scalar;
  scale: number;
}

/** Named loss terms; each is logged as `<name>_loss` and enters the model loss as scale · value. */
export type LossTerms = Record<string, LossTerm>;

export interface ObjectiveInputs {
  params: Params;
  /** Parameters the optimiser never touches (EMA targets); empty for objectives without any. */
  targets: Params;
  config: RssmModelConfig;
  batch: SeqBatch;
  /** Encoder output [B, T, E]. */
  embed: tf.Tensor3D;
  /** Posterior features [B·T, F] (rows b·T + t). */
  feat: tf.Tensor2D;
  /** Posterior and prior states of the batch ([B, T, ...]): TPC's prior critic scores one under the other. */
  post: RssmSeq;
  prior: RssmSeq;
  /** The latent noise stream of this step; null in deterministic evaluation (no perturbation noise then). */
  seeds: SeedStream | null;
  /** Updates applied before this one (the optimiser's step count): schedules such as a prototype freeze. */
  updates: number;
}

export interface RepresentationObjective {
  readonly kind: ObjectiveKind;
  /** Whether the model has a pixel decoder (open-loop frames and dreams exist only then). */
  readonly decodesPixels: boolean;
  /** Creates the objective's trained parameters (in the model's Params, drawn from the model's Rng). */
  init(params: Params, c: RssmModelConfig, embedSize: number, rng: Rng): void;
  /** Creates the target parameters from the freshly initialised online ones. */
  initTargets?(targets: Params, params: Params, c: RssmModelConfig): void;
  /** The training batch on the host from the sampled windows (e.g. two augmented views), drawn from `rng`. */
  views?(a: TrainArrays, c: RssmModelConfig, rng: Rng): TrainArrays;
  terms(x: ObjectiveInputs): LossTerms;
  /** Before the gradient step, outside the tape (e.g. re-normalising the prototypes). */
  beforeStep?(params: Params, c: RssmModelConfig): void;
  /** After an applied update: `updates` counts the updates before this one (e.g. the EMA of the targets). */
  afterUpdate?(params: Params, targets: Params, c: RssmModelConfig, updates: number): void;
}
