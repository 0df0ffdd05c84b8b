import { z } from 'zod';
import { presetConfig } from '../preset-config.ts';
import { LEXA_DEBUG, LEXA_PAPER, LEXA_SMALL, lexaConfigSchema } from '../lexa-config.ts';
import { UserError } from '../../util/errors.ts';
import { lrDecaySchema } from '../lr-decay.ts';
import { BACKGROUNDS } from '../../envs/background.ts';
import {
  ACTOR_CRITIC_DEBUG,
  ACTOR_CRITIC_SMALL,
  ACTOR_CRITIC_DREAMERV1,
  ACTOR_CRITIC_DREAMERV2,
  actorCriticConfigSchema,
} from '../actor-critic-config.ts';
import {
  CONTRASTIVE_CVRL,
  OBJECTIVE_DEBUG,
  OBJECTIVE_PAPER,
  OBJECTIVE_SMALL,
  PROTOTYPES_DREAMERPRO,
  contrastiveSchema,
  objectiveSchema,
  prototypesSchema,
} from './objectives/config.ts';

/**
 * RSSM configuration (validated with zod; every default written out in a run's config.json).
 * Presets follow ../shared/reference/mission-anchors.md §1.2 (PlaNet), §1.4 (DreamerV2), §1.10.
 */
const act = z.enum(['relu', 'elu', 'none']);

// Upper bounds are sanity limits (far above every published config), so a typo such as deter=1e7 or
// batch=1e9 is refused up front instead of exhausting memory; whether a config fits the backend's
// memory is checked separately by the family's memory estimate (memory.ts).
const int = (min: number, max: number) => z.number().int().min(min).max(max);
const real = (min: number, max: number) => z.number().min(min).max(max);
const positive = (max: number) => z.number().positive().max(max);
const kernels = z.array(int(2, 16)).min(1).max(8);

const latent = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('gaussian'), size: int(1, 1024), minStd: positive(10) }),
  z.strictObject({
    kind: z.literal('discrete'),
    groups: int(1, 256),
    classes: int(2, 256),
    unimix: real(0, 0.5),
  }),
]);

export const rssmConfigSchema = z
  .strictObject({
    image: z.strictObject({ size: int(8, 256), channels: int(1, 4) }),
    /** null = taken from the data's action space when the session starts (recorded in checkpoints). */
    actionDim: int(1, 64).nullable(),
    rssm: z.strictObject({
      deter: int(1, 8192),
      hidden: int(1, 8192),
      latent,
      gruNorm: z.boolean(),
      act,
      /**
       * The prior's input layer before the GRU. 'joint': one dense on [s_{t−1}, a_t] (PlaNet rssm.py, Dreamer v1/v2
       * img_in). 'separate': s_{t−1} and a_t (a / max(1, |a|)) each through their own dense → layer norm → act,
       * concatenated (DreamerV3 rssm.py RSSM._core dynin1 / dynin2). Issue 11: with 'joint' a 1-dim action next to
       * 256 one-hot inputs barely moved the cartpole prior. 'separate-raw-action': as 'separate' but the action
       * branch is dense → act without the norm (our departure: a layer norm over a 1-dim action's embedding keeps
       * mostly its sign, docs/results/small-presets.md, session 13). Absent in old configs = 'joint'.
       */
      priorInput: z.enum(['joint', 'separate', 'separate-raw-action']).default('joint'),
    }),
    encoder: z.strictObject({ depth: int(1, 1024), kernels, act }),
    decoder: z.strictObject({
      depth: int(1, 1024),
      kernels,
      act,
      /**
       * Weight of the foreground pixels in the image loss (media/foreground.ts: > 0.1 off the training episodes'
       * mean frame in a channel); 1 = the papers' plain pixel likelihood. Our departure (issue 11): ~1.4 % of a
       * cartpole frame is foreground, which a summed pixel loss hardly sees in a CPU-length run.
       */
      foregroundWeight: real(1, 1e4).default(1),
      /**
       * Which pixels get foregroundWeight: 'target' = the true frame's foreground only; 'either' = also where the
       * (stopped-gradient) reconstruction is > 0.1 off the mean frame, so a phantom cart costs as much as a missing
       * one (with 'target' a faint cart painted on the background costs 1 per pixel, a missing one the weight).
       */
      foregroundMask: z.enum(['target', 'either']).default('target'),
    }),
    heads: z.strictObject({ units: int(1, 8192), layers: int(0, 16), act, cont: z.boolean() }),
    loss: z.strictObject({
      imageScale: real(0, 1e4),
      rewardScale: real(0, 1e4),
      contScale: real(0, 1e4),
      klScale: real(0, 1e4),
      freeNats: real(0, 1e4),
      /** 'element': max(KL, free) per (batch, time) (PlaNet); 'mean': max(mean KL, free) (Dreamer v1/v2). */
      freeNatsPlacement: z.enum(['element', 'mean']),
      /** α of α·KL(sg(q)‖p) + (1−α)·KL(q‖sg(p)); null = plain KL(q‖p) (DreamerV2 kl_loss). */
      klBalance: real(0, 1).nullable(),
      overshooting: z.strictObject({
        /** D of PlaNet eq. 7; 0 = off (PlaNet camera-ready default). */
        distance: int(0, 1024),
        scale: real(0, 1e4),
        /** β_d for d = 1..D; null = all 1. */
        weights: z.array(real(0, 1e4)).max(1024).nullable(),
        stopPosteriorGrad: z.boolean(),
      }),
      /**
       * The open-loop dream decoded against the real frames D steps out from every `stride`-th posterior
       * (image-overshooting.ts; our departure, issue 11 item 2). distance 0 = off (every preset); absent in old
       * configs = off. Decoding costs D·⌈(T − D)/stride⌉ frames per window on top of the T reconstructions.
       */
      imageOvershooting: z
        .strictObject({
          distance: int(0, 1024),
          scale: real(0, 1e4),
          stride: int(1, 4096),
          /** Updates before the term switches on (a curriculum: one-step training first, as Oh et al. 2015 §3.2). */
          start: int(0, 1e8).default(0),
          /**
           * true: the dreams' pixels weigh as the image term's (decoder.foregroundWeight); false: the plain
           * likelihood, whose optimum is the predictive mean. Under weight w a pixel that is foreground with
           * probability q is best painted at w·q / (w·q + 1 − q) of the way to the foreground, so an uncertain
           * dream over-paints where the cart might be.
           */
          weighted: z.boolean().default(false),
          /**
           * The dreams' foreground weight when `weighted`; null = the image term's (decoder.foregroundWeight). Lower
           * than the image term's, the dream over-paints an uncertain cart less (w·q / (w·q + 1 − q) above) while
           * the reconstructions keep their weight.
           */
          foregroundWeight: real(1, 1e4).nullable().default(null),
        })
        .default({ distance: 0, scale: 0, stride: 8, start: 0, weighted: false, foregroundWeight: null }),
    }),
    train: z.strictObject({
      /** Optimiser steps of the run (`--steps N`). */
      steps: int(1, 1e8),
      batch: int(1, 4096),
      length: int(2, 4096),
      lr: positive(1),
      adamEps: positive(1),
      clipNorm: positive(1e9), // 1e9 = effectively no clipping (the rssm bench uses it)
      seed: int(0, 2 ** 31 - 1),
      /** Cosine decay of lr over the updates (core/models/lr-decay.ts); null = constant, as in the papers. */
      lrDecay: lrDecaySchema.nullable().default(null),
    }),
    planner: z.strictObject({
      horizon: int(1, 1000),
      candidates: int(1, 1e5),
      topK: int(1, 1e5),
      iterations: int(1, 1000),
    }),
    /** How the agent acts and learns (core/agents): PlaNet's CEM planner, or Dreamer's actor-critic in imagination. */
    behavior: z.enum(['cem', 'actor-critic', 'plan2explore', 'lexa']).default('cem'),
    /** LEXA's explorer (also `behavior: plan2explore` alone) and achiever (core/models/lexa-config.ts). */
    lexa: lexaConfigSchema.default(LEXA_SMALL),
    /** Settings of the actor-critic behaviour (its own block; used when behavior is 'actor-critic'). */
    actorCritic: actorCriticConfigSchema.default(ACTOR_CRITIC_DREAMERV1),
    /** What the representation learns from (issue 15): pixel reconstruction, CVRL's InfoNCE, DreamerPro's prototypes. */
    objective: objectiveSchema.default('reconstruction'),
    contrastive: contrastiveSchema.default(CONTRASTIVE_CVRL),
    prototypes: prototypesSchema.default(PROTOTYPES_DREAMERPRO),
    online: z.strictObject({
      seedEpisodes: int(1, 1e4),
      /** Train steps between collected episodes (PlaNet: 100 steps per collected episode at 1000/repeat steps). */
      trainEvery: int(1, 1e6),
      explorationNoise: real(0, 10),
      actionRepeat: int(1, 1000),
      episodeSteps: int(1, 1e5),
      /** The env's background in online runs: 'plain', or the distractors 'noise' / 'video' (issue 15). */
      background: z.enum(BACKGROUNDS).default('plain'),
    }),
  })
  .superRefine((c, ctx) => {
    const o = c.loss.overshooting;
    if (o.weights && o.weights.length !== o.distance) {
      ctx.addIssue({
        code: 'custom',
        path: ['loss', 'overshooting', 'weights'],
        message: `expected ${o.distance} weights (one per distance 1..D), got ${o.weights.length}`,
      });
    }
    const io = c.loss.imageOvershooting;
    if (io.distance > 0 && io.distance >= c.train.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['loss', 'imageOvershooting', 'distance'],
        message: `must be < train.length (${c.train.length}): a dream D steps out needs a window longer than D`,
      });
    }
    if (io.foregroundWeight !== null) {
      const why = !io.weighted
        ? 'weighted is false'
        : c.decoder.foregroundWeight === 1
          ? 'decoder.foregroundWeight is 1 (its weights mark the foreground)'
          : c.decoder.foregroundMask !== 'target'
            ? `decoder.foregroundMask is '${c.decoder.foregroundMask}'`
            : null;
      if (why)
        ctx.addIssue({
          code: 'custom',
          path: ['loss', 'imageOvershooting', 'foregroundWeight'],
          message: `needs weighted true, decoder.foregroundWeight > 1 and decoder.foregroundMask 'target', but ${why}; use null`,
        });
    }
    if (io.distance > 0 && io.scale > 0 && c.objective !== 'reconstruction') {
      ctx.addIssue({
        code: 'custom',
        path: ['loss', 'imageOvershooting'],
        message: `decodes pixels, which objective '${c.objective}' has no decoder for; use objective 'reconstruction' or distance 0`,
      });
    }
    if (c.objective === 'prototypes' && c.prototypes.warmUp >= c.train.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['prototypes', 'warmUp'],
        message: `must be < train.length (${c.train.length}): the prototype losses drop the first warmUp steps`,
      });
    }
    if (c.objective === 'contrastive' && c.contrastive.critic === 'prior') {
      if (c.rssm.latent.kind !== 'gaussian')
        ctx.addIssue({
          code: 'custom',
          path: ['contrastive', 'critic'],
          message: `'prior' (TPC's prior density of the perturbed posterior mean) needs rssm.latent.kind 'gaussian', got '${c.rssm.latent.kind}'; use critic 'features'`,
        });
      if (c.contrastive.warmUp >= c.train.length)
        ctx.addIssue({
          code: 'custom',
          path: ['contrastive', 'warmUp'],
          message: `must be < train.length (${c.train.length}): the prior critic drops the first warmUp steps`,
        });
    }
    if (c.planner.topK > c.planner.candidates) {
      ctx.addIssue({
        code: 'custom',
        path: ['planner', 'topK'],
        message: `must be <= planner.candidates (${c.planner.candidates})`,
      });
    }
    const enc = encoderOutputSize(c.image.size, c.encoder.kernels);
    if (enc < 1)
      ctx.addIssue({
        code: 'custom',
        path: ['encoder', 'kernels'],
        message: `the encoder shrinks a ${c.image.size}px image to nothing; use fewer stride-2 layers`,
      });
    const dec = decoderOutputSize(c.decoder.kernels);
    if (c.objective === 'reconstruction' && dec !== c.image.size) {
      ctx.addIssue({
        code: 'custom',
        path: ['decoder', 'kernels'],
        message: `stride-2 transposed convs with kernels [${c.decoder.kernels}] give ${dec}px, expected ${c.image.size}px (64: [5,5,6,6], 32: [5,6,6], 16: [6,6])`,
      });
    }
  });

export type RssmConfig = z.infer<typeof rssmConfigSchema>;
/** A config with the action size known: what the model code works with. */
export type RssmModelConfig = RssmConfig & { actionDim: number };

export function encoderOutputSize(size: number, kernels: number[]): number {
  let s = size;
  for (const k of kernels) s = Math.floor((s - k) / 2) + 1;
  return s;
}

export function decoderOutputSize(kernels: number[]): number {
  let s = 1;
  for (const k of kernels) s = (s - 1) * 2 + k;
  return s;
}

export function stochSize(c: RssmConfig): number {
  const l = c.rssm.latent;
  return l.kind === 'gaussian' ? l.size : l.groups * l.classes;
}

/** The config with the action size fixed from the data (a config that names another size is an error). */
export function withActionDim(c: RssmConfig, actionDim: number): RssmModelConfig {
  if (c.actionDim !== null && c.actionDim !== actionDim) {
    throw new UserError(
      `rssm config actionDim is ${c.actionDim} but the data's actions have ${actionDim} dimensions; set actionDim to ${actionDim} or null`,
    );
  }
  return { ...c, actionDim };
}

export function featureSize(c: RssmConfig): number {
  return c.rssm.deter + stochSize(c);
}

const CEM_PLANET = { horizon: 12, candidates: 1000, topK: 100, iterations: 10 }; // PlaNet configs.py (§1.2)
// PlaNet §1.2: 5 seed episodes, noise 0.3, cartpole action repeat 8, 1000/8 steps; 100 train steps per episode.
const ONLINE_PLANET = {
  seedEpisodes: 5,
  trainEvery: 100,
  explorationNoise: 0.3,
  actionRepeat: 8,
  episodeSteps: 125,
  background: 'plain' as const,
};

const planet: RssmConfig = {
  ...OBJECTIVE_PAPER,
  image: { size: 64, channels: 3 },
  actionDim: null,
  // PlaNet rssm.py: belief 200, hidden 200, state 30, min std 0.1; conv_ha encoder/decoder (§1.2).
  rssm: {
    deter: 200,
    hidden: 200,
    latent: { kind: 'gaussian', size: 30, minStd: 0.1 },
    gruNorm: false,
    act: 'relu',
    priorInput: 'joint',
  },
  encoder: { depth: 32, kernels: [4, 4, 4, 4], act: 'relu' },
  decoder: { depth: 32, kernels: [5, 5, 6, 6], act: 'relu', foregroundWeight: 1, foregroundMask: 'target' },
  heads: { units: 300, layers: 3, act: 'relu', cont: false }, // reward feed_forward 3×300 ReLU
  // compute_objectives: reward scale 10, free nats 3 per element, overshooting off (camera-ready 0c6f7d3).
  loss: {
    imageScale: 1,
    rewardScale: 10,
    contScale: 0,
    klScale: 1,
    freeNats: 3,
    freeNatsPlacement: 'element',
    klBalance: null,
    overshooting: { distance: 0, scale: 0, weights: null, stopPosteriorGrad: true },
    imageOvershooting: { distance: 0, scale: 0, stride: 8, start: 0, weighted: false, foregroundWeight: null },
  },
  train: { steps: 50000, batch: 50, length: 50, lr: 1e-3, adamEps: 1e-4, clipNorm: 1000, seed: 0, lrDecay: null }, // Adam 1e-3, eps 1e-4, clip 1000
  planner: CEM_PLANET,
  behavior: 'cem',
  actorCritic: ACTOR_CRITIC_DREAMERV1,
  lexa: LEXA_PAPER,
  online: ONLINE_PLANET,
};

// Dreamer v1 (danijar/dreamer dreamer.py define_config, models.py; §1.3): RSSM deter 200 / hidden 200 / stoch 30
// Gaussian (min std 0.1), ELU; conv encoder/decoder depth 32; reward head 2×400 ELU; no pcont head; free nats 3
// on the mean KL; batch 50×50; model Adam lr 6e-4 (Keras default eps 1e-7), clip 100.
const dreamerv1: RssmConfig = {
  ...OBJECTIVE_PAPER,
  image: { size: 64, channels: 3 },
  actionDim: null,
  rssm: {
    deter: 200,
    hidden: 200,
    latent: { kind: 'gaussian', size: 30, minStd: 0.1 },
    gruNorm: false,
    act: 'elu',
    priorInput: 'joint',
  },
  encoder: { depth: 32, kernels: [4, 4, 4, 4], act: 'relu' },
  decoder: { depth: 32, kernels: [5, 5, 6, 6], act: 'relu', foregroundWeight: 1, foregroundMask: 'target' },
  heads: { units: 400, layers: 2, act: 'elu', cont: false },
  loss: {
    imageScale: 1,
    rewardScale: 1,
    contScale: 0,
    klScale: 1,
    freeNats: 3,
    freeNatsPlacement: 'mean',
    klBalance: null,
    overshooting: { distance: 0, scale: 0, weights: null, stopPosteriorGrad: true },
    imageOvershooting: { distance: 0, scale: 0, stride: 8, start: 0, weighted: false, foregroundWeight: null },
  },
  train: { steps: 50000, batch: 50, length: 50, lr: 6e-4, adamEps: 1e-7, clipNorm: 100, seed: 0, lrDecay: null },
  planner: CEM_PLANET,
  behavior: 'actor-critic',
  actorCritic: ACTOR_CRITIC_DREAMERV1,
  lexa: LEXA_PAPER,
  // action repeat 2, time limit 1000 (500 agent steps), prefill 5000 env steps (= 5 episodes), 100 train steps
  // per 1000 env steps (one episode), exploration noise 0.3.
  online: {
    seedEpisodes: 5,
    trainEvery: 100,
    explorationNoise: 0.3,
    actionRepeat: 2,
    episodeSteps: 500,
    background: 'plain',
  },
};

const dreamerv2: RssmConfig = {
  ...OBJECTIVE_PAPER,
  image: { size: 64, channels: 3 },
  actionDim: null,
  // dreamerv2 configs.yaml dmc_vision: deter/hidden 200, 32×32 categorical, KL balance 0.8, free 1 on the mean (§1.4).
  rssm: {
    deter: 200,
    hidden: 200,
    latent: { kind: 'discrete', groups: 32, classes: 32, unimix: 0 },
    gruNorm: true,
    act: 'elu',
    priorInput: 'joint',
  },
  encoder: { depth: 48, kernels: [4, 4, 4, 4], act: 'elu' },
  decoder: { depth: 48, kernels: [5, 5, 6, 6], act: 'elu', foregroundWeight: 1, foregroundMask: 'target' },
  heads: { units: 400, layers: 4, act: 'elu', cont: true }, // MLP heads 4×400 ELU, Bernoulli discount head
  loss: {
    imageScale: 1,
    rewardScale: 1,
    contScale: 1,
    klScale: 1,
    freeNats: 1,
    freeNatsPlacement: 'mean',
    klBalance: 0.8,
    overshooting: { distance: 0, scale: 0, weights: null, stopPosteriorGrad: true },
    imageOvershooting: { distance: 0, scale: 0, stride: 8, start: 0, weighted: false, foregroundWeight: null },
  },
  train: { steps: 50000, batch: 16, length: 50, lr: 3e-4, adamEps: 1e-5, clipNorm: 100, seed: 0, lrDecay: null }, // dmc_vision model lr 3e-4, eps 1e-5, clip 100
  planner: CEM_PLANET,
  behavior: 'actor-critic',
  actorCritic: ACTOR_CRITIC_DREAMERV2,
  lexa: LEXA_PAPER,
  online: ONLINE_PLANET,
};

/** Tiny model for tests and smoke runs: 32×32, a few thousand parameters per layer. */
const debug: RssmConfig = {
  ...OBJECTIVE_DEBUG,
  image: { size: 32, channels: 3 },
  actionDim: null,
  rssm: {
    deter: 32,
    hidden: 32,
    latent: { kind: 'gaussian', size: 8, minStd: 0.1 },
    gruNorm: false,
    act: 'elu',
    priorInput: 'joint',
  },
  encoder: { depth: 8, kernels: [4, 4, 4], act: 'relu' },
  decoder: { depth: 8, kernels: [5, 6, 6], act: 'relu', foregroundWeight: 1, foregroundMask: 'target' },
  heads: { units: 32, layers: 2, act: 'elu', cont: true },
  loss: {
    imageScale: 1,
    rewardScale: 1,
    contScale: 1,
    klScale: 1,
    freeNats: 1,
    freeNatsPlacement: 'element',
    klBalance: null,
    overshooting: { distance: 0, scale: 0, weights: null, stopPosteriorGrad: true },
    imageOvershooting: { distance: 0, scale: 0, stride: 8, start: 0, weighted: false, foregroundWeight: null },
  },
  train: { steps: 300, batch: 8, length: 16, lr: 1e-3, adamEps: 1e-4, clipNorm: 100, seed: 0, lrDecay: null },
  planner: { horizon: 8, candidates: 200, topK: 20, iterations: 5 },
  behavior: 'cem',
  actorCritic: ACTOR_CRITIC_DEBUG,
  lexa: LEXA_DEBUG,
  online: {
    seedEpisodes: 3,
    trainEvery: 50,
    explorationNoise: 0.3,
    actionRepeat: 4,
    episodeSteps: 50,
    background: 'plain',
  },
};

/**
 * CPU-sized PlaNet at the full 64×64 (issue 11): at 32 px the cartpole pole is under a pixel wide, so the size
 * stays and the widths shrink. PlaNet's layout and losses (conv_ha encoder/decoder, Gaussian latent, free nats 3
 * per element, Adam 1e-3 / eps 1e-4) with conv depth 16 instead of 32, belief/hidden 64 instead of 200, state 16
 * instead of 30, heads 2×64 instead of 3×300, and batch 16 × length 32 instead of 50 × 50 (~1/10 of PlaNet's
 * per-step compute), so a step takes well under a second on two CPU cores.
 */
const small: RssmConfig = {
  ...planet,
  rssm: {
    deter: 64,
    hidden: 64,
    latent: { kind: 'gaussian', size: 16, minStd: 0.1 },
    gruNorm: false,
    act: 'relu',
    priorInput: 'joint',
  },
  encoder: { depth: 16, kernels: [4, 4, 4, 4], act: 'relu' },
  // Foreground pixels weigh 20 in the image loss (our departure, issue 11 item 2: ~1.4 % of a cartpole frame is
  // the cart and pole, which the plain summed likelihood hardly sees in a CPU run; measured in docs/results/small-presets.md).
  decoder: { depth: 16, kernels: [5, 5, 6, 6], act: 'relu', foregroundWeight: 20, foregroundMask: 'target' },
  heads: { units: 64, layers: 2, act: 'relu', cont: false },
  train: { steps: 3000, batch: 16, length: 32, lr: 1e-3, adamEps: 1e-4, clipNorm: 1000, seed: 0, lrDecay: null },
  // PlaNet's losses except the KL: free nats 1 on the mean KL with KL balance 0.8 (DreamerV2 dmc_vision, §1.4)
  // instead of 3 nats per element. With a 16-dim latent the KL of a ~1000-step run stays under 3 nats (1.95
  // measured on cartpole), so PlaNet's clamp gave the prior no gradient at all: imagined rewards over 15 steps
  // were worse than a constant (open-loop reward MSE 2.29 vs the train mean's 1.62) and the actor learned nothing.
  loss: { ...planet.loss, freeNats: 1, freeNatsPlacement: 'mean', klBalance: 0.8 },
  // With --behavior actor-critic: the CPU-sized actor-critic (actor-critic-config.ts says what departs from v1).
  // The actor-critic starts after 500 model updates: 3 of 3 seeds pass eval:dreamer at 1000 and 1250 steps, 0 of 3
  // at 1000 without (actor-critic-config.ts ACTOR_CRITIC_SMALL lists the scores).
  actorCritic: { ...ACTOR_CRITIC_SMALL, startAfter: 500 },
  // With --behavior plan2explore | lexa: CPU-sized explorer and achiever (lexa-config.ts says what departs).
  lexa: LEXA_SMALL,
  // PlaNet's cartpole collection (repeat 8, 125 agent steps, 5 seed episodes, noise 0.3) but one episode every 25
  // train steps instead of 100: a CPU run has ~1000 steps, and 10 episodes are too little data for the model.
  online: { ...ONLINE_PLANET, trainEvery: 25 },
};

// CVRL (Yusufma03/CVRL cvrl.py define_config, §1.7): Dreamer v1 with the image log-likelihood replaced by InfoNCE
// between f(features) and g(embedding) over the batch; everything else as Dreamer v1 (free nats 3, 50 × 50, 6e-4).
const cvrl: RssmConfig = { ...dreamerv1, objective: 'contrastive', contrastive: CONTRASTIVE_CVRL };

// DreamerPro (fdeng18/dreamer-pro DreamerPro/dreamerv2/configs.yaml defaults + dmc, §1.8): RSSM hidden/deter 200,
// Gaussian stoch 32 (min std 0.1; the reference's std is sigmoid2, ours softplus), GRU layer norm, ELU; encoder
// depth 48 ELU; reward head 4×400 ELU, no discount head (pred_discount False); KL balance 0.8, free 1 on the mean;
// batch 50 × 51; model Adam 3e-4, eps 1e-5, clip 100; actor tanh-normal with dynamics gradients, lr 8e-5.
const dreamerpro: RssmConfig = {
  ...dreamerv2,
  objective: 'prototypes',
  prototypes: PROTOTYPES_DREAMERPRO,
  rssm: {
    deter: 200,
    hidden: 200,
    latent: { kind: 'gaussian', size: 32, minStd: 0.1 },
    gruNorm: true,
    act: 'elu',
    priorInput: 'joint',
  },
  encoder: { depth: 48, kernels: [4, 4, 4, 4], act: 'elu' },
  heads: { units: 400, layers: 4, act: 'elu', cont: false },
  loss: { ...dreamerv2.loss, contScale: 0 },
  train: { steps: 50000, batch: 50, length: 51, lr: 3e-4, adamEps: 1e-5, clipNorm: 100, seed: 0, lrDecay: null },
  actorCritic: {
    ...ACTOR_CRITIC_DREAMERV2,
    actor: { ...ACTOR_CRITIC_DREAMERV2.actor, dist: 'tanh_normal', grad: 'dynamics' },
  },
  // dmc: action repeat 2, time limit 1000 (500 agent steps), prefill 5000 frames (5 episodes), expl_noise 0; the
  // train_every 5 / train_steps 1 schedule is kept as Dreamer v1's 100 updates per collected episode.
  online: {
    seedEpisodes: 5,
    trainEvery: 100,
    explorationNoise: 0,
    actionRepeat: 2,
    episodeSteps: 500,
    background: 'plain',
  },
};

// 'default' is PlaNet's camera-ready config (what `oneiro train` uses without --preset). The small preset gets the
// CPU-sized objective blocks here, so `--preset small --set objective=prototypes` is a CPU-sized DreamerPro.
export const RSSM_PRESETS = {
  planet,
  dreamerv1,
  dreamerv2,
  small: { ...small, ...OBJECTIVE_SMALL },
  debug,
  cvrl,
  dreamerpro,
  'cvrl-debug': { ...debug, objective: 'contrastive' },
  'dreamerpro-debug': { ...debug, objective: 'prototypes' },
  default: planet,
} as const satisfies Record<string, RssmConfig>;
export type RssmPresetName = keyof typeof RSSM_PRESETS;

type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends (infer U)[] ? U[] : T[K] extends object | null ? DeepPartial<NonNullable<T[K]>> : T[K];
};

export const rssmPresetConfig = presetConfig<RssmConfig>({
  family: 'rssm',
  schema: rssmConfigSchema,
  presets: RSSM_PRESETS,
  // A latent override of another kind replaces the latent block instead of merging into it.
  adjust(merged, base, overrides) {
    const latent = (overrides as { rssm?: { latent?: { kind?: unknown } } }).rssm?.latent;
    if (latent?.kind !== undefined && latent.kind !== base.rssm.latent.kind)
      (merged as { rssm: Record<string, unknown> }).rssm.latent = latent;
  },
});

/** A preset with overrides, validated. Errors name the field and the expected value. */
export function rssmConfig(preset: string = 'debug', overrides: DeepPartial<RssmConfig> = {}): RssmConfig {
  return rssmPresetConfig.resolveConfig(preset, overrides);
}

export function parseRssmConfig(value: unknown): RssmConfig {
  return rssmPresetConfig.parseConfig(value);
}
