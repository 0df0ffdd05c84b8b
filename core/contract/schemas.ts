import { z } from 'zod';

/**
 * Domain schemas of the Workbench API. Pixels and latents are typed arrays (they cross Electron IPC by
 * structured clone and the WebSocket as binary frames); a JSON array of numbers where a typed array is
 * expected is rejected. Small vectors (an action, statistics) are plain number arrays.
 *
 * Browser-safe: no Node imports (the renderer imports core/contract).
 */

/** Realm-independent check: a typed array built in another realm (contextBridge, vm) still passes. */
function typedArray<T extends ArrayBufferView>(name: string) {
  return z.custom<T>((v) => ArrayBuffer.isView(v) && Object.prototype.toString.call(v) === `[object ${name}]`, {
    message: `expected a ${name} (binary data is never sent as a JSON array)`,
  });
}
export const U8 = typedArray<Uint8Array>('Uint8Array');
export const F32 = typedArray<Float32Array>('Float32Array');

const int = () => z.number().int();
const nonNegInt = () => z.number().int().min(0);
const posInt = () => z.number().int().min(1);

/** Names of datasets and runs become folder names: keep them portable. */
export const Name = z
  .string()
  .min(1)
  .max(80)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected letters, digits, ".", "_" or "-" (starting with a letter or digit)');
export const RunId = Name;

export const Empty = z.strictObject({});

// ---------------------------------------------------------------------------------------------- spaces, envs

export const Space = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('box'), shape: z.array(posInt()), low: z.array(z.number()), high: z.array(z.number()) }),
  z.object({ kind: z.literal('discrete'), n: posInt() }),
]);

export const ImageShape = z.tuple([posInt(), posInt(), z.literal(3)]);

export const EnvSummary = z.object({
  name: z.string(),
  doc: z.string(),
  observationShape: ImageShape,
  actionSpace: Space,
  defaults: z.object({ size: posInt(), actionRepeat: posInt(), maxSteps: posInt() }),
});

export const ModelFamily = z.object({
  family: z.string(),
  doc: z.string(),
  presets: z.array(z.object({ name: z.string(), doc: z.string() })),
  /** Where its training data comes from. */
  sources: z.array(z.enum(['dataset', 'env'])),
});

// ---------------------------------------------------------------------------------------------- workspace

export const BackendInfo = z.object({
  name: z.string(),
  tfName: z.string(),
  threads: nonNegInt(),
  skipped: z.array(z.object({ name: z.string(), reason: z.string() })),
});

export const Availability = z.object({
  available: z.boolean(),
  version: z.string().nullable(),
  /** Where it was found, or why it is not available. */
  detail: z.string(),
});

export const WorkspaceInfo = z.object({
  workspace: z.string(),
  version: z.string(),
  host: z.enum(['electron', 'web', 'direct']),
  backend: BackendInfo,
  versions: z.object({
    node: z.string(),
    tfjs: z.string(),
    electron: z.string().nullable(),
    chrome: z.string().nullable(),
  }),
  electron: Availability,
  chromium: Availability,
  /** No datasets and no runs yet: the UI offers the built-in demo (dataset + debug run). */
  empty: z.boolean(),
});

// ---------------------------------------------------------------------------------------------- datasets

export const DatasetSummary = z.object({
  name: z.string(),
  env: z.string().nullable(),
  episodes: nonNegInt(),
  steps: nonNegInt(),
  imageShape: ImageShape,
  actionSpace: Space.nullable(),
  actionDim: nonNegInt(),
  source: z.string(),
  createdAt: z.string().nullable(),
});

const Stats = z.object({ min: z.number(), max: z.number(), mean: z.number(), std: z.number() });

export const DatasetDetail = DatasetSummary.extend({
  episodeList: z.array(z.object({ index: nonNegInt(), file: z.string(), length: nonNegInt(), return: z.number() })),
  lengths: Stats,
  returns: Stats,
  /** Per action dimension. */
  actions: z.object({
    mean: z.array(z.number()),
    std: z.array(z.number()),
    min: z.array(z.number()),
    max: z.array(z.number()),
  }),
});

export const DatasetRef = z.strictObject({ dataset: Name });
export const EpisodeRef = z.strictObject({ dataset: Name, episode: nonNegInt() });

export const EpisodeData = z.object({
  dataset: z.string(),
  episode: nonNegInt(),
  length: nonNegInt(),
  imageShape: ImageShape,
  actionDim: nonNegInt(),
  /** float32 [T] */
  reward: F32,
  /** float32 [T, actionDim]; row t is the action that led to frame t (row 0 zeros). */
  action: F32,
  /** uint8 [T] (0/1) */
  isTerminal: U8,
});

export const FramesRequest = z.strictObject({
  dataset: Name,
  episode: nonNegInt(),
  start: nonNegInt(),
  /** At most 1000 frames per call: a 64×64 strip of 1000 is 12 MB. */
  count: posInt().max(1000),
  stride: posInt().max(1000).default(1),
});

/** uint8 frames, row-major [n, H, W, 3]. */
export const Frames = z.object({
  shape: z.tuple([nonNegInt(), posInt(), posInt(), z.literal(3)]),
  data: U8,
});

export const FramesReply = z.object({
  dataset: z.string(),
  episode: nonNegInt(),
  start: nonNegInt(),
  stride: posInt(),
  frames: Frames,
});

export const ImportRequest = z.strictObject({
  /** A folder on the host's disk. */
  source: z.string().min(1),
  name: Name,
  format: z.enum(['dreamer', 'dreamerv3']).default('dreamer'),
});

export const ImportReply = z.object({
  dataset: DatasetSummary,
  imported: nonNegInt(),
  skipped: z.array(z.object({ file: z.string(), reason: z.string() })),
  /** What was converted (float16 → float32, action alignment, …). */
  converted: z.array(z.string()),
});

/** `datasets:remove`: deletes a dataset, readable or not; a collect or import still making it is cancelled. */
export const RemoveReply = z.object({
  dataset: z.string(),
  /** A worker was making it and was stopped. */
  cancelled: z.boolean(),
  /** A folder was deleted (false when a cancelled import had not committed anything yet). */
  removed: z.boolean(),
  /** Why its dataset.json could not be read, when it could not. */
  unreadable: z.string().nullable(),
});

/** Bounds of one collection, shared by `datasets:collect` and `oneiro collect` (one rule for both doors). */
export const COLLECT_BOUNDS = { episodes: 10000, maxSteps: 100000, size: 512 } as const;

export const CollectRequest = z.strictObject({
  env: z.string().min(1),
  dataset: Name,
  episodes: posInt().max(COLLECT_BOUNDS.episodes),
  seed: int().default(0),
  size: posInt().max(COLLECT_BOUNDS.size).optional(),
  maxSteps: posInt().max(COLLECT_BOUNDS.maxSteps).optional(),
  /** random: uniform actions; brownian: a smooth random walk (ctallec/world-models), better for driving. */
  policy: z.enum(['random', 'brownian']).default('random'),
  /**
   * A trained run's agent acts instead of the policy (`oneiro collect --policy run:ID`): in the run's env (`env` must
   * name it) at its frame size, action repeat and background. checkpoint: a kept one's step (default the latest);
   * noise: exploration (Gaussian std on box actions, random-action probability on discrete ones; 0 = as evaluated).
   */
  agent: z
    .strictObject({ run: RunId, checkpoint: nonNegInt().optional(), noise: z.number().min(0).max(1).default(0) })
    .optional(),
  /**
   * Add the episodes to the existing dataset `dataset` (World Models' iterative procedure: the controller's episodes
   * join the data M is retrained on) instead of making a new one. It must exist and fit: the same env, frame size,
   * actions, action repeat and background (`oneiro collect` into an existing dataset, the same rule). Each episode
   * lands whole as it is collected, so a stopped append keeps the episodes before it.
   */
  append: z.boolean().optional(),
});

// ---------------------------------------------------------------------------------------------- runs

export const RunStatus = z.enum([
  'created',
  /** Waiting in the job queue for a worker (scale-out runs). */
  'queued',
  'starting',
  'running',
  'paused',
  'stopped',
  'completed',
  'crashed',
  'failed',
]);

export const CheckpointInfo = z.object({
  step: nonNegInt(),
  path: z.string(),
  createdAt: z.string().nullable(),
  bytes: nonNegInt(),
  latest: z.boolean(),
});

export const RunSummary = z.object({
  id: z.string(),
  family: z.string(),
  preset: z.string(),
  dataset: z.string().nullable(),
  env: z.string().nullable(),
  status: RunStatus,
  /** Training phase where a family has several (World Models: vae, mdnrnn, controller). */
  phase: z.string().nullable(),
  step: nonNegInt(),
  totalSteps: nonNegInt().nullable(),
  backend: z.string().nullable(),
  createdAt: z.string().nullable(),
  updatedAt: z.string().nullable(),
  lastCheckpoint: CheckpointInfo.nullable(),
  /** Why it crashed or failed, or the last notable event. */
  message: z.string().nullable(),
  /** Latest value of each logged scalar. */
  lastMetrics: z.record(z.string(), z.number()),
  /**
   * The behaviour the run trains (its config's `behavior`: 'actor-critic', 'cem'), null when the family names
   * none (World Models' controller). Only 'actor-critic' runs have an actor to dream with and an autopilot.
   */
  behavior: z.string().nullable(),
  /** The run this one started from and the phase it started at (`oneiro train --from RUN --phase P`); absent: none. */
  from: z.strictObject({ run: z.string(), phase: z.string() }).nullable().optional(),
});

export const RunDetail = RunSummary.extend({
  /** The run's config.json as written (every default spelled out). */
  config: z.record(z.string(), z.unknown()),
});

/** A run's step budget as `--steps N` means it (the family's withSteps; its config schema bounds it further). */
const TrainSteps = posInt().max(10_000_000);

export const CreateRunRequest = z
  .strictObject({
    family: z.string().min(1),
    preset: z.string().min(1).default('debug'),
    dataset: Name.optional(),
    /** A built-in env instead of a dataset: the service first collects a small dataset from it (`<name>-data`). */
    env: z.string().min(1).optional(),
    /** Total training steps (the family splits them over phases); default from the preset. */
    steps: TrainSteps.optional(),
    seed: int().optional(),
    name: Name.optional(),
    /** Extra config values by dotted key; the family's config schema validates them. */
    overrides: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])).optional(),
  })
  .refine((r) => (r.dataset === undefined) !== (r.env === undefined), {
    message: 'expected exactly one of dataset or env',
    path: ['dataset'],
  });

export const RunRef = z.strictObject({ runId: RunId });

export const EvalRequest = z.strictObject({
  runId: RunId,
  /** The kept checkpoint at this global step (runs:checkpoints lists them) instead of the latest: a learning curve. */
  checkpointStep: nonNegInt().optional(),
});

export const ResumeRunRequest = z.strictObject({
  runId: RunId,
  /**
   * First set the run's step budget to this (as `steps` means at creation; `oneiro train --resume RUN --steps N`):
   * a completed run then trains on. Budgets only grow, and only in the last phase that ran (core/runs/run-steps.ts).
   */
  steps: TrainSteps.optional(),
});

/**
 * A new World Models run started from a finished one's last checkpoint at a later phase (`oneiro train --from RUN
 * --phase P`, core/runs/seed-from.ts forkRun): 'controller' retrains the controller in the same M's dream, 'rnn'
 * trains M on (rnn.steps is M's whole budget), then the controller. Created, not started, as runs:create.
 */
export const ForkRunRequest = z.strictObject({
  runId: RunId,
  phase: z.enum(['rnn', 'controller']),
  /** As CreateRunRequest.overrides, merged onto the run's own config; V's settings (and M's at 'controller') stay. */
  overrides: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])).optional(),
  /** Default: the run's own seed (so 'rnn' continues M's step seeds). */
  seed: int().optional(),
  name: Name.optional(),
});

/** One logged step: Dreamer-style keys (`loss/vae`, `kl`, …) → value. */
export const MetricPoint = z.object({
  step: nonNegInt(),
  time: z.number().nullable(),
  phase: z.string().nullable(),
  values: z.record(z.string(), z.number()),
});

export const MetricsRequest = z.strictObject({
  runId: RunId,
  /** Only points with step > since. */
  since: int().min(-1).default(-1),
  /** At most this many (the most recent); 0 = all. */
  limit: nonNegInt().default(0),
});

export const MetricsReply = z.object({ runId: z.string(), points: z.array(MetricPoint) });

// ---------------------------------------------------------------------------------------------- dreams

const Temperature = z.number().gt(0).max(5);

/**
 * A dream shown as the pixel-wise mean of this many dreams sampled at the request's temperature (default 1): the
 * predictive mean of `oneiro eval --samples`, where a point prediction would commit to one future. Each sample is a
 * whole open loop, so the Lab waits K times as long; 64 keeps that to seconds on a CPU.
 */
export const MAX_DREAM_SAMPLES = 64;
const DreamSamples = posInt().max(MAX_DREAM_SAMPLES);

/**
 * Where a dream's frames come from (core/runs/pixel-view.ts): the model's own decoder, a probe decoder trained on
 * its stop-gradient features, or the nearest real training frame by features. 'auto': the decoder when the model
 * has one, else its probe when trained on the current checkpoint, else retrieval.
 */
export const PixelView = z.enum(['decoder', 'probe', 'retrieval']);
const PixelViewRequest = z.enum(['auto', 'decoder', 'probe', 'retrieval']);

/**
 * Where a dream from real frames starts (open loop, the actor's imagination, a LEXA goal pursuit): frame `start` of
 * `episode` in the run's dataset (default the run's own), the last real frame the model observes.
 */
const DreamStart = {
  runId: RunId,
  dataset: Name.optional(),
  episode: nonNegInt(),
  start: nonNegInt(),
};

/** Real frames observed before a dream starts, ending at its start (families that filter over a context). */
const ContextFrames = posInt().max(100);

export const OpenLoopRequest = z.strictObject({
  ...DreamStart,
  horizon: posInt().max(500),
  /** Observed frames before imagination (families that filter over a context; World Models uses 1). */
  context: ContextFrames.optional(),
  /** Absent: the point prediction (the latent mode; World Models' mixture mean). Set: one sample at τ. */
  temperature: Temperature.optional(),
  /** Show the mean of this many dreams sampled at `temperature` (default 1) instead of one dream. */
  samples: DreamSamples.optional(),
  seed: int().default(0),
  /** Where the frames come from (default 'auto'). */
  view: PixelViewRequest.optional(),
});

export const OpenLoopReply = z.object({
  runId: z.string(),
  /** Where the dream's frames came from (the UI labels it). */
  pixels: PixelView,
  /** Why 'auto' did not take a better view (e.g. no probe decoder yet), or null. */
  pixelsNote: z.string().nullable(),
  dataset: z.string(),
  episode: nonNegInt(),
  start: nonNegInt(),
  /** The first `context` frames are observed (reconstructions); the rest are imagined. */
  context: nonNegInt(),
  horizon: posInt(),
  temperature: z.number().nullable(),
  /** The number of sampled dreams the shown dream is the mean of, or null for one dream. */
  samples: posInt().nullable(),
  /** The request's seed: with the rest of this reply it names the dream shown (an export draws it again). */
  seed: int(),
  /** Real frames [T, H, W, 3], T = context + horizon. */
  truth: Frames,
  /** Model frames, same shape. */
  dream: Frames,
  /** Per-step pixel MSE of dream vs truth, float32 [T]. */
  mse: F32,
  /** Per-step MSE of the copy-last-context-frame baseline, float32 [T]. */
  baselineMse: F32,
  /**
   * What the host shortened rather than refusing: a horizon past the episode's end, a context before its
   * start (or more than the family observes). Empty when the request was used as asked.
   */
  clamped: z.object({
    horizon: z.object({ asked: posInt(), used: nonNegInt() }).optional(),
    context: z.object({ asked: posInt(), used: nonNegInt() }).optional(),
  }),
  /** Per-step MSE of the mean-frame baseline (mean of the run's training frames), float32 [T]; null without training frames. */
  meanFrameMse: F32.nullable(),
  /**
   * Foreground-weighted errors (issue 11): on the pixels where the true frame differs from the training mean frame by
   * more than `threshold` in any channel (pixels in [0, 1]); model and baselines on the same mask. Float32 [T] each,
   * NaN where a frame has no foreground. Null without training frames.
   */
  foreground: z
    .object({
      threshold: z.number(),
      /** Share of each true frame's pixels in the foreground. */
      fraction: F32,
      mse: F32,
      baselineMse: F32,
      meanFrameMse: F32,
    })
    .nullable(),
});

/** Train (or with `train` false, only describe) the run's probe decoder on its latest checkpoint. */
export const ProbeRequest = z.strictObject({
  runId: RunId,
  train: z.boolean().default(false),
  /** Optimiser steps (default: the 'small' probe preset's). */
  steps: posInt().max(100_000).optional(),
});

export const ProbeReply = z.object({
  runId: z.string(),
  /** Whether the model decodes pixels itself ('none': it is shown through the probe or retrieval). */
  modelPixels: z.enum(['decoder', 'none']),
  /** The stored probe, if any. */
  probe: z
    .object({
      checkpointStep: nonNegInt(),
      frames: nonNegInt(),
      steps: posInt(),
      /** Pixel MSE in [0,1]² units over the last tenth of training. */
      loss: z.number(),
      trained: z.string(),
    })
    .nullable(),
  /** Why the stored probe cannot be used now (missing, trained on an older checkpoint), or null. */
  problem: z.string().nullable(),
});

/** A metric against its baselines (`oneiro eval --json`; README "Evaluation"); null where it could not be measured. */
export const EvalMetric = z.object({
  model: z.number().nullable(),
  /** The strongest baseline (the one to beat). */
  baseline: z.number().nullable(),
  baseline_name: z.string(),
  baselines: z.record(z.string(), z.number().nullable()).optional(),
  lower_is_better: z.boolean().optional(),
  /** The model's 95 % interval over held-out episodes, where measured (the state probe's R²); null ends: not measurable. */
  ci95: z.tuple([z.number().nullable(), z.number().nullable()]).optional(),
  /** The baseline `ratio_ci95` is of model / it (pixel errors: mean-frame). */
  ratio_baseline: z.string().optional(),
  /** 95 % interval of model / baselines[ratio_baseline] over held-out episodes (paired bootstrap); null ends: not measurable. */
  ratio_ci95: z.tuple([z.number().nullable(), z.number().nullable()]).optional(),
});

/**
 * One bin of the state probe's read against the true value (held-out rows, @0, the every-frame probe): where the read
 * leaves the diagonal — a read that saturates, a sign it cannot tell — and what share of the squared error is there.
 */
export const ProbeCalibrationBin = z.object({
  /** The bin's true-value range (the outer bins reach the extremes). */
  lo: z.number(),
  hi: z.number(),
  n: nonNegInt(),
  /** Mean true value and mean probe read of the bin's rows. */
  truth: z.number(),
  read: z.number(),
  /** The bin's share of the variable's squared error (0–1; the bins sum to 1 unless the read is exact). */
  error_share: z.number(),
});

export const EvalReply = z.object({
  runId: z.string(),
  checkpointStep: nonNegInt(),
  /** Held-out episodes evaluated. */
  episodes: nonNegInt(),
  /** Share of the dreamed frames' pixels in the foreground. */
  foregroundFraction: z.number().nullable(),
  metrics: z.record(z.string(), EvalMetric),
  /** Per probe target: its read against the true value in bins (absent when the episodes carry no state). */
  probeCalibration: z.record(z.string(), z.array(ProbeCalibrationBin)).optional(),
  /** What could not be measured and why (e.g. no true state in the episodes). */
  notes: z.array(z.string()),
});

export const DreamResetRequest = z.strictObject({
  runId: RunId,
  dataset: Name.optional(),
  episode: nonNegInt(),
  /** The real frame the dream starts from. */
  step: nonNegInt(),
  temperature: Temperature.optional(),
  seed: int().default(0),
  /** Reuse (reset) an open session instead of opening a new one. */
  sessionId: z.string().optional(),
  /** Where the frames come from (default 'auto'); a reset with another view opens a new session. */
  view: PixelViewRequest.optional(),
});

export const DreamFrame = z.object({
  sessionId: z.string(),
  /** Where the session's frames come from. */
  pixels: PixelView,
  /** Steps taken since the reset (0 = the encoded real frame). */
  t: nonNegInt(),
  frame: Frames,
  actionSpace: Space,
  /** Predicted reward of the last step where the model has a reward head. */
  reward: z.number().nullable(),
  /** Predicted episode end where the model has a done head. */
  done: z.boolean(),
  /** The action of the last step as the model took it (box: clipped values; discrete: [index]); null at a reset. */
  action: z.array(z.number()).nullable(),
  /** Who chose it: the user's action or the run's actor (autopilot); null at a reset. */
  driver: z.enum(['user', 'actor']).nullable(),
});

export const DreamStepRequest = z
  .strictObject({
    sessionId: z.string().min(1),
    /** Continuous: one value per action dimension. Discrete: [index]. */
    action: z.array(z.number().finite()).min(1).max(64).optional(),
    /** The run's actor chooses the action from the dream's state (actor-critic runs only). */
    autopilot: z.literal(true).optional(),
  })
  .refine((r) => (r.action === undefined) !== (r.autopilot === undefined), {
    message: 'expected exactly one of action or autopilot: true',
    path: ['action'],
  });

/**
 * The actor's own imagined rollout (actor-critic runs): `context` real frames ending at `start` are filtered into
 * the latent state, then the actor acts for `horizon` imagined steps.
 */
export const ImagineRequest = z.strictObject({
  ...DreamStart,
  /** Imagined steps; default the behaviour's own imagination horizon (Dreamer: 15). */
  horizon: posInt().max(200).optional(),
  context: ContextFrames.optional(),
  /** Sample the actor's actions and the latents (as training does) instead of taking their modes. */
  sample: z.boolean().default(false),
  seed: int().default(0),
});

/**
 * What an imagination reply (the actor's, a goal pursuit's) says of its start as used: the run, where its frames
 * come from (a model without a decoder: its probe decoder, or retrieval), the frame it started from and the real
 * frames observed before imagining.
 */
const ImaginedFrom = {
  runId: z.string(),
  pixels: PixelView,
  dataset: z.string(),
  episode: nonNegInt(),
  start: nonNegInt(),
  context: posInt(),
};

export const ImagineReply = z.object({
  ...ImaginedFrom,
  horizon: posInt(),
  sample: z.boolean(),
  /** The real start frame at the model's size [1, S, S, 3]. */
  real: Frames,
  /** Decoded states s_0 (the filtered start frame) … s_H: [H+1, S, S, 3]. */
  frames: Frames,
  actionSpace: Space,
  /** The actor's actions a_0 … a_{H−1} as the model took them (one-hot for discrete spaces): float32 [H·A]. */
  actions: F32,
  /** Per state s_0 … s_H, float32 [H+1] each: predicted reward of arriving in it, discount γ·continuation. */
  reward: F32,
  discount: F32,
  /** The slow critic's value (the one the λ-return bootstraps from, as in training). */
  value: F32,
  /** TD(λ) return from each state, as training's targets (R_H = value of s_H). */
  lambdaReturn: F32,
  gamma: z.number(),
  lambda: z.number(),
});

/**
 * "Goals from any frame" (LEXA runs): `context` real frames ending at `start` are filtered into the latent state,
 * then the achiever (its mode) imagines `horizon` steps towards the goal frame (`goalEpisode`, `goalStep`).
 */
export const GoalDreamRequest = z.strictObject({
  /** The dataset defaults to the run's own (an online run names one). */
  ...DreamStart,
  context: ContextFrames.optional(),
  /** The goal's episode in the same dataset; default the start's episode. */
  goalEpisode: nonNegInt().optional(),
  goalStep: nonNegInt(),
  /** Imagined steps; default the achiever's imagination horizon. */
  horizon: posInt().max(200).optional(),
});

export const GoalDreamReply = z.object({
  ...ImaginedFrom,
  goalEpisode: nonNegInt(),
  goalStep: nonNegInt(),
  horizon: posInt(),
  /** The real start frame and the goal frame at the model's size [1, S, S, 3]. */
  real: Frames,
  goal: Frames,
  /** Decoded states s_0 (the filtered start frame) … s_H: [H+1, S, S, 3]. */
  frames: Frames,
  /** [H+1]: 1 − cosine between each state's features and the goal's (what the cosine achiever maximises). */
  cosineDistance: F32,
  /** [H+1]: the temporal distance (normalised steps to go) for a temporal-reward achiever; else null. */
  temporalDistance: F32.nullable(),
  /** The achiever pursuing the same goal in the real env, side by side with the dream, or why it cannot. */
  realEnv: z.discriminatedUnion('kind', [
    z
      .object({
        kind: z.literal('rollout'),
        /** The dataset's built-in env, set to the episode's recorded state at `start`. */
        env: z.string(),
        /** The env's first frame equals the recorded start frame byte for byte. */
        startExact: z.boolean(),
        /** What may make the real start differ (state the recording leaves out, differing pixels); null when exact. */
        startNote: z.string().nullable(),
        /** Env steps taken: the horizon, fewer when the env ended the episode. */
        steps: nonNegInt(),
        /** Real rows 0 … steps at the model's size [steps+1, S, S, 3]. */
        frames: Frames,
        /** The env's true state per real row: float32 [(steps+1)·d] (what the success test reads). */
        state: F32,
        /** [steps+1]: 1 − cos between the goal's features and each real frame's filtered state (after the dream's context). */
        cosineDistance: F32,
        /** The env's own success test for the goal, per real row (1 = passed), judged at the last row; null: none. */
        success: z
          .object({ test: z.string(), steps: U8, reached: z.boolean(), first: nonNegInt().nullable() })
          .nullable(),
        /** Why there is no success test ("no success test for this goal: …"); null when there is one. */
        successNote: z.string().nullable(),
      })
      .refine(
        (r) =>
          r.frames.shape[0] === r.steps + 1 &&
          r.cosineDistance.length === r.steps + 1 &&
          (r.success === null || r.success.steps.length === r.steps + 1) &&
          (r.success === null) !== (r.successNote === null),
        {
          message:
            'expected steps+1 real frames, distances and success rows, and exactly one of success or successNote',
          path: ['steps'],
        },
      ),
    /** The dream still shows; only the real side is refused (e.g. a dataset without a built-in env). */
    z.object({ kind: z.literal('refused'), reason: z.string() }),
  ]),
});

/** What an object-graph (C-SWM) run sees in one real frame, and its k-step prediction shown by retrieval. */
export const ObjectsViewRequest = z.strictObject({
  runId: RunId,
  /** Defaults to the run's own dataset. */
  dataset: Name.optional(),
  episode: nonNegInt(),
  /** The real frame looked at (row of the episode). */
  step: nonNegInt(),
  /** Steps predicted from it under the episode's own actions (clamped to the episode's end). */
  k: posInt().max(100).default(1),
});

export const ObjectsViewReply = z.object({
  runId: z.string(),
  dataset: z.string(),
  episode: nonNegInt(),
  step: nonNegInt(),
  numObjects: posInt(),
  embeddingDim: posInt(),
  /** The real frame at the model's size [1, S, S, 3]. */
  frame: Frames,
  /** Each slot's extractor mask as a grey image [K, m, m, 3] (r = g = b = sigmoid · 255). */
  masks: Frames,
  /** The slot states z [K · D], row-major. */
  slots: F32,
  /** [K · K]: ‖message from slot j into slot i‖ at [i · K + j] (0 on the diagonal). */
  edges: F32,
  /** Every frame's slot states in this episode [T · K · D]: each slot's trace over time. */
  trace: F32,
  /** null when no frame lies k steps ahead in this episode (step is its last frame). */
  retrieval: z
    .object({
      /** Steps actually predicted (the request's k clamped to the episode's end). */
      k: posInt(),
      /** The true frame k steps ahead [1, S, S, 3]. */
      truth: Frames,
      /** The real frame whose encoding is nearest the predicted state [1, S, S, 3]: the model decodes no pixels. */
      retrieved: Frames,
      retrievedEpisode: nonNegInt(),
      retrievedStep: nonNegInt(),
      /** 0-based rank of the true frame among all candidates (0: retrieval found it). */
      rank: nonNegInt(),
      candidates: posInt(),
    })
    .nullable(),
});

export const SessionRef = z.strictObject({ sessionId: z.string().min(1) });
export const Closed = z.object({ closed: z.boolean() });

// ---------------------------------------------------------------------------------------------- exports

export const StripSource = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('episode'),
    dataset: Name,
    episode: nonNegInt(),
    start: nonNegInt().default(0),
    count: posInt().max(1000).default(64),
  }),
  z.strictObject({
    kind: z.literal('openloop'),
    runId: RunId,
    dataset: Name.optional(),
    episode: nonNegInt(),
    start: nonNegInt(),
    horizon: posInt().max(500),
    /** Observed frames before imagination, as on dreams:openloop (default there: 5). */
    context: ContextFrames.optional(),
    temperature: Temperature.optional(),
    samples: DreamSamples.optional(),
    seed: int().default(0),
    view: PixelViewRequest.optional(),
  }),
  /** Frames the client already holds (e.g. a played dream it recorded). */
  z.strictObject({ kind: z.literal('frames'), frames: Frames }),
]);

export const ExportRequest = z.strictObject({
  source: StripSource,
  format: z.enum(['png', 'gif', 'webp']),
  /** Animated formats. */
  fps: z.number().min(1).max(60).default(10),
  /** Nearest-neighbour upscale factor (pixel art stays crisp). */
  scale: posInt().max(16).default(2),
  name: Name.optional(),
});

/** `exports:features`: what `oneiro features` writes, for a download (core/runs/feature-export.ts). */
export const FeaturesExportRequest = z.strictObject({
  runId: RunId,
  /** A kept checkpoint (runs:checkpoints) instead of the latest. */
  checkpointStep: nonNegInt().optional(),
  /** The run's own split: `held-out` = the episodes runs:eval scores. */
  split: z.enum(['all', 'train', 'held-out']).default('all'),
  /** Every Nth step of each episode. */
  stride: posInt().max(1_000_000).default(1),
});

export const FeaturesExportReply = z.object({
  /** The .npz file (features, state, episode, step, held_out, meta_json). */
  bytes: U8,
  mime: z.string(),
  fileName: z.string(),
  /** Where it was also written in the workspace. */
  path: z.string(),
  checkpointStep: nonNegInt(),
  rows: posInt(),
  dim: posInt(),
  episodes: posInt(),
  heldOutRows: nonNegInt(),
  /** The state's columns, or null when the episodes record no state. */
  stateNames: z.array(z.string()).nullable(),
});

export const ExportReply = z.object({
  bytes: U8,
  mime: z.string(),
  fileName: z.string(),
  /** Where it was also written in the workspace. */
  path: z.string(),
  frames: posInt(),
  width: posInt(),
  height: posInt(),
});

// ---------------------------------------------------------------------------------------------- events

export const RunLogEvent = z.object({
  runId: z.string(),
  stream: z.enum(['stdout', 'stderr', 'trainer']),
  line: z.string(),
});
export const MetricsEvent = MetricsReply;
export const CollectProgressEvent = z.object({
  dataset: z.string(),
  env: z.string(),
  episodesDone: nonNegInt(),
  episodesTotal: posInt(),
  steps: nonNegInt(),
  done: z.boolean(),
});
export const DatasetsChangedEvent = z.object({ datasets: z.array(z.string()) });

// ---------------------------------------------------------------------------------------------- job queue, sweeps

/**
 * The workspace's job queue as the UI sees it. `url` is always the credential-free form
 * (redis[s]://host:port/db): a password given in `queue:set` stays in the host's memory.
 */
export const QueueSettings = z.object({
  url: z.string().nullable(),
  connected: z.boolean(),
  /** Why the queue cannot be reached (credential-free), when configured but not connected. */
  error: z.string().nullable(),
  /** Where the password comes from: none, this host's memory (given in queue:set) or ONEIRO_QUEUE_PASSWORD. */
  password: z.enum(['none', 'memory', 'env']),
  tls: z.boolean(),
});
/** `url: null` disconnects (runs then train on this machine again). */
export const QueueSetRequest = z.strictObject({ url: z.string().min(1).max(2000).nullable() });

export const QueueWorkerInfo = z.object({
  id: z.string(),
  host: z.string(),
  backend: z.string(),
  /** 1-minute load average of the worker's machine, and its CPU count. */
  load: z.number().nullable(),
  cpus: z.number().nullable(),
  concurrency: nonNegInt(),
  runs: z.array(z.string()),
  updated: z.string().nullable(),
});

export const SweepRef = z.strictObject({ sweepId: Name });

export const SweepSummary = z.object({
  id: z.string(),
  name: z.string(),
  created: z.string(),
  family: z.string(),
  preset: z.string(),
  dataset: z.string().nullable(),
  env: z.string().nullable(),
  fields: z.array(z.string()),
  runs: nonNegInt(),
});

export const SweepRow = z.object({
  runId: z.string(),
  seed: int(),
  /** The run's config point: the swept fields' values. */
  fields: z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()])),
  status: RunStatus,
  step: nonNegInt(),
  totalSteps: nonNegInt().nullable(),
  /** BullMQ's state of the run's current job, when the queue is connected and knows it. */
  job: z.string().nullable(),
  attempts: nonNegInt().nullable(),
  worker: z.string().nullable(),
  message: z.string().nullable(),
  /** The last logged losses (status.json). */
  last: z.record(z.string(), z.number()),
  /** The held-out measures (runs:eval) of the latest checkpoint, when this host has evaluated it. */
  eval: z.object({ checkpointStep: nonNegInt(), metrics: z.record(z.string(), z.number().nullable()) }).nullable(),
});

export const SweepDetail = SweepSummary.extend({ rows: z.array(SweepRow) });
