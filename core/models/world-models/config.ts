import { z } from 'zod';
import { convOut, deconvOut } from '../nn.ts';
import { presetConfig } from '../preset-config.ts';

/**
 * World Models configuration (V = ConvVAE, M = MDN-RNN, C = controller). Every field is required in a
 * stored config: presets are complete objects and overrides are merged onto them before validation,
 * so config.json always holds every value. Reference values: mission-anchors.md §1.1 / §1.10 (WMx =
 * hardmaru/WorldModelsExperiments carracing, WMt = ctallec/world-models).
 */
// Upper bounds are sanity limits (far above the published configs), so a typo such as hidden=1e7 is
// refused up front; whether a config fits the backend's memory is the memory estimate's call (memory.ts).
const int = (min: number, max: number) => z.number().int().min(min).max(max);
const positive = (max: number) => z.number().positive().max(max);
const channels = z.array(int(1, 4096));
const kernel = int(1, 16);

export const vaeSchema = z.strictObject({
  /** Square input size in pixels; frames of another size are resized nearest-neighbour. */
  imageSize: int(8, 256),
  zDim: int(1, 4096),
  /** Encoder: 'valid' convs, kernel encKernel, stride 2, ReLU. */
  encChannels: channels.min(1).max(8),
  encKernel: kernel,
  /** Decoder: dense decDense → 1×1×decDense → deconvs (stride 2) with these kernels; last has 3 channels, sigmoid. */
  decDense: int(1, 65536),
  decChannels: channels.max(8),
  decKernels: z.array(kernel).min(1).max(9),
  /** KL floor per sample = klTolerance · zDim nats (WMx vae.py). */
  klTolerance: z.number().min(0).max(100),
  batch: int(1, 4096),
  lr: positive(1),
  steps: int(0, 1e8),
  clipNorm: positive(1e9).nullable(),
  /**
   * Weight of the foreground pixels in the reconstruction loss (media/foreground.ts: > 0.1 off the training
   * episodes' mean frame in any channel), 1 on the rest. 1 = the paper's plain SSE; a config stored before the
   * field existed reads 1. Issue 11: ~1.4 % of a cartpole frame is foreground, which a summed pixel loss hardly sees.
   */
  foregroundWeight: z.number().min(1).max(1e4).default(1),
});

export const rnnSchema = z.strictObject({
  hidden: int(1, 8192),
  mixtures: int(1, 64),
  seqLen: int(1, 4096),
  batch: int(1, 4096),
  lr: positive(1),
  steps: int(0, 1e8),
  /** Element-wise gradient clip (WMx `grad_clip`). */
  clipValue: positive(1e9).nullable(),
  rewardHead: z.boolean(),
  doneHead: z.boolean(),
  /** Weight of the positive class in the done BCE (WMx Doom `restart_factor`). */
  doneWeight: positive(1e4),
  /** Loss weight of the reward MSE relative to the per-dimension mixture NLL. */
  rewardWeight: z.number().min(0).max(1e4),
  /**
   * After M's training, refit the reward column (ridge) and the done column (logistic) of M's head on M's own open-loop
   * states (rollouts of this many steps under the recorded actions at the dream's temperature) and the teacher-forced
   * ones (reward-refit.ts). 0 = the paper (the heads as trained, on teacher-forced states only); a config stored before
   * the field existed reads 0.
   */
  rewardRefitHorizon: int(0, 1e5).default(0),
  /**
   * Fraction of training sequences that start at a frame drawn uniformly along their episode (h = 0 there, padded
   * past the episode's end); the rest start where a whole window fits (frame 0 when seqLen covers the episode).
   * 0 = WMx (whole episodes from frame 0); a config stored before the field existed reads 0. Evaluation's open loop
   * starts M from h = 0 five frames before a dream anywhere in an episode, which frame-0 sequences never train.
   */
  startsAnywhere: z.number().min(0).max(1).default(0),
});

export const controllerSchema = z.strictObject({
  /** Train the controller in the dream after the MDN-RNN (needs the reward head). */
  enabled: z.boolean(),
  generations: int(0, 1e5),
  population: int(4, 1e4),
  rolloutsPerCandidate: int(1, 1000),
  sigmaInit: positive(10),
  /** Dream sampling temperature τ (logπ/τ, σ·√τ). */
  temperature: positive(10),
  dreamLength: int(1, 1e5),
  /** Worker threads evaluating candidates (0 = one per core, at most the population). */
  workers: int(0, 256),
  /** Real-env episodes for the controller's evaluation at the end of the phase. */
  evalEpisodes: int(1, 1000),
  /**
   * Fraction of dreams that start at a frame drawn along the recorded episodes with M's filtered state there
   * (controller.ts `dreamStartsAlong`); the rest start at frame 0 from h = 0. 0 = the paper (every dream from
   * frame 0); a config stored before the field existed reads 0.
   */
  startsAlong: z.number().min(0).max(1).default(0),
});

/** CEM planner settings when `behavior` is 'cem' (core/agents/cem.ts on the VAE + MDN-RNN latent view). */
export const plannerSchema = z.strictObject({
  horizon: int(1, 1000),
  candidates: int(1, 1e5),
  topK: int(1, 1e5),
  iterations: int(1, 1000),
});

export const worldModelsSchema = z
  .strictObject({
    vae: vaeSchema,
    rnn: rnnSchema,
    controller: controllerSchema,
    /**
     * How the agent acts: 'controller' = the paper's linear controller trained by CMA-ES in the dream (its
     * own phase); 'cem' = PlaNet's planner over the MDN-RNN's imagined rewards (no controller phase).
     */
    behavior: z.enum(['controller', 'cem']).default('controller'),
    planner: plannerSchema.default({ horizon: 12, candidates: 1000, topK: 100, iterations: 10 }),
  })
  .superRefine((c, ctx) => {
    if (c.behavior === 'cem' && !c.rnn.rewardHead)
      ctx.addIssue({
        code: 'custom',
        path: ['behavior'],
        message: "'cem' plans on the MDN-RNN's predicted rewards: set rnn.rewardHead to true",
      });
    let s = c.vae.imageSize;
    for (let i = 0; i < c.vae.encChannels.length; i++) {
      s = convOut(s, c.vae.encKernel, 2);
      if (s < 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['vae', 'encChannels'],
          message: `the encoder shrinks ${c.vae.imageSize}px to nothing at conv ${i}: use fewer or smaller convs`,
        });
        return;
      }
    }
    if (c.vae.decKernels.length !== c.vae.decChannels.length + 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['vae', 'decKernels'],
        message: `expected ${c.vae.decChannels.length + 1} kernels (one per decChannels entry plus the RGB layer), got ${c.vae.decKernels.length}`,
      });
      return;
    }
    const out = c.vae.decKernels.reduce((size, k) => deconvOut(size, k, 2), 1);
    if (out !== c.vae.imageSize) {
      ctx.addIssue({
        code: 'custom',
        path: ['vae', 'decKernels'],
        message: `the decoder kernels [${c.vae.decKernels}] produce ${out}px images, expected imageSize ${c.vae.imageSize}`,
      });
    }
  });

export type WorldModelsConfig = z.infer<typeof worldModelsSchema>;

/**
 * M's fields that set its tensors' shapes (mdn-rnn.ts: the LSTM's width, the mixture head's 3·zDim·mixtures columns
 * and the reward and done columns). A run that trains another run's M on (core/runs/seed-from.ts) keeps them; its
 * other rnn fields (steps, lr, batch, seqLen, clipping, loss weights, the refit) may change.
 */
export const RNN_SHAPE_KEYS = ['hidden', 'mixtures', 'rewardHead', 'doneHead'] as const;
export type VaeConfig = WorldModelsConfig['vae'];
export type RnnConfig = WorldModelsConfig['rnn'];
export type ControllerConfig = WorldModelsConfig['controller'];

export const PRESETS: Record<'debug' | 'small' | 'default', WorldModelsConfig> = {
  default: {
    vae: {
      // WMx vae.py: 64×64×3, conv 32-64-128-256 k4 s2, z 32, dense 1024, deconv 128·5 64·5 32·6 3·6, kl_tolerance 0.5.
      imageSize: 64,
      zDim: 32,
      encChannels: [32, 64, 128, 256],
      encKernel: 4,
      decDense: 1024,
      decChannels: [128, 64, 32],
      decKernels: [5, 5, 6, 6],
      klTolerance: 0.5,
      // WMx vae_train.py: lr 1e-4, batch 100; batch 32 here (the bench shape) to fit a CPU.
      batch: 32,
      lr: 1e-4,
      steps: 5000,
      clipNorm: null,
      foregroundWeight: 1,
    },
    rnn: {
      // WMx rnn_train.py: LSTM 256, 5 mixtures, Adam 1e-3, grad_clip 1.0, 4000 steps; WMt: batch 16 × seq 32.
      hidden: 256,
      mixtures: 5,
      seqLen: 32,
      batch: 16,
      lr: 1e-3,
      steps: 4000,
      clipValue: 1.0,
      rewardHead: true,
      doneHead: true,
      // WMx doomrnn.py restart_factor 10.
      doneWeight: 10,
      rewardWeight: 1,
      rewardRefitHorizon: 0,
      startsAnywhere: 0,
    },
    controller: {
      // WMx train.py: population 64, 16 rollouts, σ_init 0.1; reduced to what 2 CPU cores manage per generation.
      enabled: true,
      generations: 40,
      population: 16,
      rolloutsPerCandidate: 4,
      sigmaInit: 0.1,
      // WMx Doom dream τ 1.15–1.25 (draft.md); 1.0 = the model's own distribution.
      temperature: 1.0,
      dreamLength: 300,
      workers: 0,
      evalEpisodes: 5,
      startsAlong: 0,
    },
    behavior: 'controller',
    // With behavior 'cem': PlaNet's planner settings (configs.py: horizon 12, 1000 candidates, top 100, 10 iterations).
    planner: { horizon: 12, candidates: 1000, topK: 100, iterations: 10 },
  },
  // CPU-sized World Models at the full 64×64 (issue 11: at 32 px the cartpole pole is under a pixel wide). WMx's
  // layout (conv k4 s2 ×4, dense, deconv 5-5-6-6, kl_tolerance 0.5, LSTM + 5-mixture MDN) at half the conv widths,
  // z 16 instead of 32; lr 1e-3 (WMx's VAE 1e-4 needs far more steps than a CPU budget). M as measured to meet issue 11
  // item 2 on cartpole (docs/results/small-presets.md "World Models on cartpole: M's LSTM 256 wide"): the paper's LSTM 256, 6000 steps, half
  // the windows from anywhere along the episode.
  small: {
    vae: {
      imageSize: 64,
      zDim: 16,
      encChannels: [16, 32, 64, 128],
      encKernel: 4,
      decDense: 512,
      decChannels: [64, 32, 16],
      decKernels: [5, 5, 6, 6],
      klTolerance: 0.5,
      batch: 32,
      lr: 1e-3,
      steps: 3000,
      clipNorm: 100,
      // Foreground pixels weigh 20 in the SSE (our departure, issue 11 item 2; the RSSM small preset's weight).
      // measure-small seed 3, 3000 + 2000 steps, vs 1: cartpole fg@10/mean-frame 0.70 vs 0.90, R² cart/cos/sin
      // 0.95/0.73/0.45 vs 0.84/0.31/0.14 (full frame 1.59 vs 1.26); car-racing fg@10 0.33 vs 0.41, full 0.55 vs 0.53.
      foregroundWeight: 20,
    },
    rnn: {
      // WMx's width. 128 (the preset before session 16) read sin θ at R² 0.77 end to end on cartpole; 256 read 0.89 /
      // 0.81 on seeds 3 / 4 at 25.5 / 26.8 train CPU min with fg@10 0.28 / 0.33 of the mean frame's (sessions 11–12).
      hidden: 256,
      mixtures: 5,
      // Whole episodes from their first frame, as WMx rnn_train.py (sequences of the whole ≤1000-frame episode, h
      // from zero at frame 0), at eval:world-models' 300-step episodes: dreams and the controller run h from frame 0
      // for the whole episode, which 32-step windows from random offsets never train. CarRacing seed 0, same data,
      // V and 1500 steps: held-out reward MSE 0.338 (32-step windows) vs 0.218 at 400 steps (train-mean 0.377).
      seqLen: 300,
      batch: 16,
      lr: 1e-3,
      // Cartpole's targets were met at 6000 (4000 at width 128: sin θ 0.797). A step costs as much as its window is
      // long: car-racing's 299 transitions cost ≈ 2.4× cartpole's 124. measure-small car-racing at this preset: 57.5 train
      // CPU min on 2 threads (the M 128 / 2000 preset: 14.6), image target met, pose not (docs/results/small-presets.md).
      steps: 6000,
      clipValue: 1.0,
      rewardHead: true,
      doneHead: true,
      doneWeight: 10,
      rewardWeight: 1,
      // Off (the paper). Refitting the heads on M's dream states (250: one rollout per episode from frame 0, the
      // controller's dream under the data's actions) calibrates them — gate seed 0's M: held-out openloop_reward_mse
      // 0.512 → 0.349 (train-mean 0.361); done probability on its rollouts 0.004 → 0.0002, so dreams no longer end
      // early — but the controller did not beat random: gate seed 0 −70.3 (reward and done refit; reward only −76.1)
      // vs −36.1 without, random −18.4; dream-vs-real gap +20.6 (+51.9) vs +36.2 (docs/results/world-models-controller.md).
      rewardRefitHorizon: 0,
      // Part of the measured recipe: half the windows start anywhere along the episode with h = 0 there, which frame-0
      // windows never train (dreams from a short context do that). Session 10, cartpole, width 128, M 2000, 5 context
      // frames: fg@10 0.78 → 0.72 of the mean frame's. The other half stay frame-0 windows, as the controller dreams.
      startsAnywhere: 0.5,
    },
    controller: {
      enabled: true,
      // WMx train.py's population 64. Measured here (docs/results/world-models-controller.md, sessions 24–26): the car-racing gate end to end at τ 1.5
      // passed 3 of 3 seeds at 64 × 20 (on both eigensolvers) and 0 of 3 at 40 × 32, as many dream rollouts;
      // cartpole-swingup passes 3 of 3 at it.
      generations: 20,
      population: 64,
      rolloutsPerCandidate: 4,
      sigmaInit: 0.1,
      // A hotter dream is harder to exploit (WMx Doom article: τ 1.15 scored best in the real env, draft.md table).
      // Measured here (docs/results/world-models-controller.md, session 22): on car-racing's gate V and M, C at τ 1.5 beat random on 3 of 3 seeds,
      // at 1.15 on 2 of 3; cartpole-swingup passes 3 of 3 at both.
      temperature: 1.5,
      dreamLength: 200,
      workers: 0,
      evalEpisodes: 5,
      // Dreams start at frame 0 (the paper). Half the dreams along the recorded episodes (startsAlong 0.5) helped the
      // controller phase alone on session 7's CarRacing Ms (world-models-controller-only.ts, paired: same V and M, 20
      // × 16, 300-step dreams, random −30.0 there: seed 2's M −59.4 → −21.7, seed 0's −66.8 → −42.8, 1.0: −64.4) but
      // not the gate (eval:world-models, brownian-controller data, seeds 0/1/2: −56.3/−71.2/−48.4 vs random
      // −24.9/−28.1/−28.2, 0 of 3; random data −72.1/−82.0/−78.5, 0 of 3; 0 at the same code: +6.7/−71.2/−61.2, 1 of
      // 3). Gate runs are unpaired: each draws its own held-out split (see scripts/eval-world-models.ts), so it stays 0.
      startsAlong: 0,
    },
    behavior: 'controller',
    // With behavior 'cem': PlaNet's planner settings (configs.py: horizon 12, 1000 candidates, top 100, 10 iterations).
    planner: { horizon: 12, candidates: 1000, topK: 100, iterations: 10 },
  },
  debug: {
    vae: {
      imageSize: 32,
      zDim: 8,
      encChannels: [16, 32, 64],
      encKernel: 4,
      decDense: 256,
      decChannels: [32, 16],
      decKernels: [5, 6, 6],
      klTolerance: 0.5,
      batch: 32,
      lr: 1e-3,
      steps: 300,
      clipNorm: 100,
      foregroundWeight: 1,
    },
    rnn: {
      hidden: 64,
      mixtures: 5,
      seqLen: 16,
      batch: 16,
      lr: 3e-3,
      steps: 300,
      clipValue: 1.0,
      rewardHead: true,
      doneHead: true,
      doneWeight: 10,
      rewardWeight: 1,
      rewardRefitHorizon: 0,
      startsAnywhere: 0,
    },
    controller: {
      enabled: true,
      generations: 8,
      population: 12,
      rolloutsPerCandidate: 2,
      sigmaInit: 0.1,
      temperature: 1.0,
      dreamLength: 100,
      workers: 0,
      evalEpisodes: 5,
      startsAlong: 0,
    },
    behavior: 'controller',
    // With behavior 'cem': the rssm debug preset's tiny planner (not from a paper).
    planner: { horizon: 8, candidates: 200, topK: 20, iterations: 5 },
  },
};

export type PresetName = keyof typeof PRESETS;

export const worldModelsPresetConfig = presetConfig<WorldModelsConfig>({
  family: 'world-models',
  schema: worldModelsSchema,
  presets: PRESETS,
});

/** Validates a complete config; errors name the field and what was expected. */
export function parseWorldModelsConfig(raw: unknown, where?: string): WorldModelsConfig {
  return worldModelsPresetConfig.parseConfig(raw, where);
}

export function resolveWorldModelsConfig(preset: string, overrides?: unknown): WorldModelsConfig {
  return worldModelsPresetConfig.resolveConfig(preset, overrides);
}
