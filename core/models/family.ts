import type * as tf from '@tensorflow/tfjs-core';
import type { Episode } from '../data/episode.ts';
import type { Replay } from '../data/replay.ts';
import type { Space } from '../envs/types.ts';
import type { DataBackground } from '../data/dataset.ts';
import type { OpenLoopFrames } from '../media/dream-strip.ts';
import type { ActionSpec } from './controller-policy.ts';
import type { Rng } from '../util/rng.ts';
import { UserError } from '../util/errors.ts';
import type { MemoryEstimate } from './memory.ts';
import type { AgentSettings } from './actor-critic-config.ts';
import type { LatentState, StartBatch, LatentWorldModel } from './latent-world-model.ts';

/**
 * What a model family gives the shared run machinery (core/runs), the evaluation and dream commands,
 * and the service. A family owns its config schema and presets, its parameters and optimisers, and a
 * list of training phases (World Models: vae → rnn → controller; RSSM: one 'model' phase, or
 * model/agent). The runner owns everything else: run folders, data order, checkpoints, resume,
 * metrics, the divergence guard, status and progress.
 */

/**
 * Episodes a run trains and evaluates on. Held-out episodes are loaded; training episodes are either loaded
 * (`train`: online runs, tests, families that keep their data in memory) or streamed from the dataset on disk
 * (`trainReplay`, with `train` empty) for families that declare `samplesReplay`, so a dataset larger than
 * memory trains with the resident episodes bounded by the replay's cache.
 */
export interface TrainData {
  /** Dataset name in the workspace, or null for data made on the fly (online training, tests). */
  dataset: string | null;
  /** Built-in env the episodes came from, when known (for real-env evaluation of agents). */
  env: string | null;
  actionSpace: Space;
  /** Frame size of the stored episodes (square). */
  imageSize: number;
  /** Action repeat the episodes were collected at (datasetActionRepeat); absent or null = the env's own. */
  actionRepeat?: number | null;
  /** What the episodes were drawn over (datasetBackground); absent = the plain background. */
  background?: DataBackground;
  train: Episode[];
  heldOut: Episode[];
  /** The training episodes as a streaming replay (draw windows with the step's Rng: `Replay.draw`). */
  trainReplay?: Replay;
}

export interface FamilyContext<C> {
  config: C;
  seed: number;
  data: TrainData;
  runDir: string | null;
  log(msg: string): void;
}

export interface PhaseSpec {
  /** Also the metric prefix: metrics of phase 'vae' are logged as 'vae/<key>'. */
  name: string;
  steps: number;
  /** What one step is, for the progress bar ('step', 'generation'). */
  unit: string;
  /** The metric the progress bar shows for this phase (unprefixed, e.g. 'loss'). */
  headline: string;
}

export interface StepContext {
  phase: string;
  /** 0-based step within the phase. */
  step: number;
  /** Steps completed in the whole run before this one. */
  globalStep: number;
  /** Derived from (seed, phase, step) alone: every random choice of the step (batch, noise) comes from
   * it, so a resumed run draws exactly what an uninterrupted one would. */
  rng: Rng;
  /** Turn this step's loss into NaN (tests of the divergence guard). */
  poison: boolean;
  signal: AbortSignal;
}

export interface StepReport {
  /** False when the update was skipped (non-finite loss or gradient). */
  applied: boolean;
  reason?: string;
  /** Unprefixed scalars; the runner writes them as '<phase>/<key>'. */
  metrics: Record<string, number>;
  /** Frames (or transitions) processed, for the 'fps' metric. */
  items: number;
}

/** Everything needed to continue a session: tensors (params, optimiser moments) and JSON state. */
export interface FamilyCheckpoint {
  tensors: Record<string, tf.Tensor>;
  state: Record<string, unknown>;
  /** Tensors made just for this checkpoint (not live variables); the runner disposes them after writing. */
  owned?: tf.Tensor[];
}

/**
 * A behaviour a family trains inside itself (World Models' controller C, by CMA-ES in the dream's worker
 * threads): its parameters, for the runner to act with in a real env through the family's `latent()` view.
 * Families only train it; scoring it in an env is the runner's (core/runs/trained-behavior.ts).
 */
export interface TrainedBehavior {
  kind: 'controller';
  /** [W | b] of a = tanh(W·features + b) (core/models/controller-policy.ts). */
  theta: number[];
  /** How its outputs become actions: the mapping it was trained with in the dream, so the env sees the same. */
  actions: ActionSpec;
  /** The phase that trains it: the runner scores it in the env when that phase ends. */
  phase: string;
  /** Real-env episodes to score it over. */
  evalEpisodes: number;
}

export interface TrainSession {
  readonly phases: PhaseSpec[];
  /** Prepares a phase (e.g. encodes the dataset for the next model); called on entry and on resume. */
  beginPhase(phase: string, signal: AbortSignal): Promise<void>;
  step(ctx: StepContext): Promise<StepReport>;
  /** Phase summary scalars (e.g. the controller's real-env return), logged under the phase prefix. */
  endPhase(phase: string, signal: AbortSignal): Promise<Record<string, number>>;
  /** The current state; tensors may be live variables (the runner writes them before the next step). */
  checkpoint(): FamilyCheckpoint;
  restore(ckpt: FamilyCheckpoint): void;
  /** The live world model as behaviours see it (families that host behaviours; null before it exists). */
  latent?(): LatentWorldModel | null;
  /** Posterior states of a fresh batch of training windows, flattened (B·T): imagination start states. */
  startStates?(rng: Rng): LatentState;
  /**
   * The same start states with their window structure and the frames' encoder embeddings (behaviours that
   * train on consecutive states, Plan2Explore, or on replay goals, LEXA's achiever). Optional: the runner
   * falls back to `startStates` with windows of length 1.
   */
  startBatch?(rng: Rng): StartBatch;
  /** More training episodes (the runner's online collection); trained on from the next step. */
  addEpisodes?(episodes: Episode[]): void;
  /** The behaviour the family trains itself, once it exists (null before). */
  trainedBehavior?(): TrainedBehavior | null;
  dispose(): void;
}

/**
 * A metric against its baselines, as `oneiro eval --json` prints it. `baseline`/`baseline_name` is the
 * strongest baseline measured (the one the model has to beat); `baselines` holds every one by name.
 */
export interface EvalMetric {
  model: number;
  baseline: number;
  baseline_name: string;
  baselines?: Record<string, number>;
  /** Lower is better (default true). */
  lower_is_better?: boolean;
  /** The model's 95 % interval over held-out episodes, where measured (the state probe's R²: r2-interval.ts). */
  ci95?: [number, number];
  /**
   * The baseline the model's ratio is taken to (`model / baselines[ratio_baseline]`): the pixel errors' mean frame
   * (issue 11's target is that ratio), the dream under shuffled actions for openloop_fg_mse_vs_shuffled.
   */
  ratio_baseline?: string;
  /** 95 % interval of that ratio over held-out episodes (paired bootstrap, ratio-interval.ts). */
  ratio_ci95?: [number, number];
}

/**
 * Where an evaluation's open loop starts filtering before each dream: 'episode' from the episode's first frame (the
 * model's initial state at frame 0, as an agent acting in the env filters and as World Models' M is trained, WMx
 * rnn_train.py); N from the N real frames ending at the dream's start (PlaNet's and Dreamer's 5 context frames,
 * whose training chunks of 50 start from a zero state; every open-loop measure before session 11 used 5).
 */
export type OpenLoopFilter = 'episode' | number;

/** The first frame an open loop from `start` filters under `filter`. */
export function filterStartOf(filter: OpenLoopFilter, start: number): number {
  return filter === 'episode' ? 0 : Math.max(0, start - filter + 1);
}

/**
 * The frames an open loop observes: filtered from `from` (`OpenLoopOptions.filterFrom`, checked against the dream's
 * start: one line naming both when it is not a frame before it), of which `contextFrom` … start (the last `context`,
 * at least 1) are returned as the context. Every family's open loop reads its span here.
 */
export function openLoopSpan(o: OpenLoopOptions): { from: number; contextFrom: number } {
  const last = Math.max(0, o.start - Math.max(1, o.context) + 1);
  const from = o.filterFrom ?? last;
  if (!Number.isInteger(from) || from < 0 || from > o.start)
    throw new UserError(`filterFrom must be a frame index in [0, start ${o.start}], got ${o.filterFrom}`);
  return { from, contextFrom: Math.max(from, last) };
}

export interface OpenLoopOptions {
  /** Index of the last real (context) frame; the dream predicts start+1 … start+horizon. */
  start: number;
  horizon: number;
  /** Real frames returned as the dream's context (ending at `start`): their reconstructions, the last one copied. */
  context: number;
  /**
   * First real frame filtered, from the model's initial state (default `start − context + 1`: the context frames
   * only). Frames filterFrom … start are all observed; only the last `context` are returned.
   */
  filterFrom?: number;
  /** 0 = deterministic point prediction; > 0 samples at that temperature. */
  temperature: number;
  seed: number;
  /** Actions for the dream steps ([horizon · A]); default the episode's own (open loop). */
  actions?: Float32Array;
  /** Also return the dream's features (the state probe reads them). */
  features?: boolean;
}

/** Feature vectors, row-major [n, dim]: what a behaviour sees of the model's state. */
export interface Features {
  dim: number;
  data: Float32Array;
}

/** An open-loop rollout: its frames (OpenLoopFrames, what a strip draws) and what was measured on them. */
export interface OpenLoopResult extends OpenLoopFrames {
  /** Per dream step: pixel MSE in [0,1]² units vs truth (NaN past the episode's end). */
  mse: number[];
  /** Per dream step: the reward head's prediction, where the model has one. */
  reward?: number[];
  /** The dream's features [horizon, dim], when asked for. */
  features?: Features;
}

/** Play a dream step by step (the UI's "play the dream", keyboard control). */
export interface DreamSession {
  readonly size: number;
  readonly actionSpace: Space;
  /** Starts from a real frame (S·S·3 uint8, any square size); returns the model's view of it. */
  reset(frame: Uint8Array): Uint8Array;
  /** One imagined step under `action`; returns the decoded frame. */
  step(action: ArrayLike<number>): { frame: Uint8Array; reward: number; done: boolean };
  /**
   * The current latent state in the form the family's `latent()` view reads (null before a reset), for a
   * behaviour to choose the next action (the Play view's autopilot). Owned by the session: do not dispose.
   */
  state?(): LatentState | null;
  dispose(): void;
}

/**
 * Where a loaded model's frames come from. 'decoder': the family decodes its own state into pixels (a trained
 * decoder), so `openloop` and `dreamSession` exist. 'none': it predicts no pixels (a reconstruction-free
 * objective, an object-graph model); the workbench shows it through a probe decoder trained on its
 * stop-gradient features, or through retrieval of the nearest real frame (core/runs/pixel-view.ts).
 */
export type PixelSource = 'decoder' | 'none';

export interface LoadedModel {
  readonly imageSize: number;
  /** Whether `openloop` / `dreamSession` exist (they do exactly when this is 'decoder'). */
  readonly pixels: PixelSource;
  /** `filter`: where the family's own open-loop metrics start filtering (default 'episode', OpenLoopFilter). */
  evaluate(
    episodes: Episode[],
    opts: { seed: number; trainEpisodes: Episode[]; filter?: OpenLoopFilter },
  ): Promise<Record<string, EvalMetric>>;
  /** The model's own decoded open loop; absent when `pixels` is 'none'. */
  openloop?(episode: Episode, opts: OpenLoopOptions): Promise<OpenLoopResult>;
  /** Play the model's own decoded dream; absent when `pixels` is 'none'. */
  dreamSession?(opts: { temperature: number; seed: number }): DreamSession;
  /** Features of the filtered state at every row of an episode ([T, dim]): the state probe's input. */
  filterFeatures(episode: Episode): Features;
  /** The same config with freshly initialised parameters (the state probe's baseline); dispose it after use. */
  reinitialized(seed: number): Promise<LoadedModel>;
  /** The trained world model for behaviours (evaluation of an agent in the env). */
  latent?(): LatentWorldModel;
  /** The behaviour the family trained itself, when the checkpoint holds one. */
  trainedBehavior?(): TrainedBehavior | null;
  dispose(): void;
}

export interface ModelFamily<C = unknown> {
  name: string;
  description: string;
  presets: string[];
  /** Complete, validated config from a preset plus (deep-merged) overrides. */
  resolveConfig(preset: string, overrides?: unknown): C;
  /** Validates a stored config; the error names the field. */
  parseConfig(raw: unknown): C;
  /** Training memory of a config, counted from the config alone (see core/models/memory.ts). */
  estimateMemory(config: C): MemoryEstimate;
  /** Applies `--steps N` (what a step budget means is the family's call). */
  withSteps(config: C, steps: number): C;
  /** The training phases of a config, in order: what its session's `phases` are (resume and `--steps` read them). */
  phases(config: C): PhaseSpec[];
  createSession(ctx: FamilyContext<C>): Promise<TrainSession>;
  /** A trained model for evaluation and dreams, from a checkpoint's tensors and state. */
  loadModel(ctx: FamilyContext<C>, ckpt: FamilyCheckpoint): Promise<LoadedModel>;
  /**
   * The agent (behaviour, its settings, the online schedule) for families that host behaviours; the runner
   * (core/runs) owns the env, the episode store and the loop, never the family. null: this config's behaviour
   * is the family's own trained one (`trainedBehavior`, e.g. World Models' CMA-ES controller).
   */
  agentSettings?(config: C): AgentSettings | null;
  /** The family trains online: it takes episodes the runner collects (`TrainSession.addEpisodes`). */
  trainsOnline?: boolean;
  /** Values its config's `behavior` takes (`--behavior`), the default first where the presets agree. */
  behaviors?: readonly string[];
  /** Trains from windows drawn through `TrainData.trainReplay` when it is given (the runner then streams). */
  samplesReplay?: boolean;
}
