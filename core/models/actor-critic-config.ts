import { z } from 'zod';
import type { LexaConfig } from './lexa-config.ts';

/**
 * The Dreamer actor-critic's own config block, declared here so family configs reference it without importing
 * upward (core/agents/actor-critic.ts reads it; mission-anchors §1.3, §1.4,
 * §1.10). Presets below carry their sources.
 */
// Strict, with upper bounds far above every published setting (as the family configs): a typo or an
// absurd value is refused naming the field instead of exhausting memory.
export const int = (min: number, max: number) => z.number().int().min(min).max(max);
export const real = (min: number, max: number) => z.number().min(min).max(max);

/** The fields of an MLP with its own optimiser (actor, critic, and the LEXA/Plan2Explore networks). */
export const net = {
  layers: int(0, 16),
  units: int(1, 4096),
  act: z.enum(['elu', 'relu', 'tanh']),
  lr: z.number().positive().max(1),
  adamEps: z.number().positive().max(1),
  clipNorm: z.number().positive().max(1e9),
};

/**
 * DreamerV3's percentile return normalisation (core/agents/return-norm.ts; jaxutils.py `Moments` 'perc',
 * mission-anchors §1.5): the actor's return term is divided by max(minScale, EMA(P_high) − EMA(P_low)).
 */
export const returnNormSchema = z
  .strictObject({
    /** EMA decay per update (DreamerV3 2023 configs.yaml `retnorm.decay` 0.99 = current code's rate 0.01). */
    decay: real(0, 1),
    /** Lower and upper percentile of the λ-returns, in percent (DreamerV3 `perclo` 5, `perchi` 95). */
    low: real(0, 100),
    high: real(0, 100),
    /** The scale never drops below this (DreamerV3 `max` 1: returns spread less than 1 are not scaled up). */
    minScale: z.number().positive().max(1e9),
  })
  .refine((r) => r.low < r.high, { message: 'the low percentile must be below the high one', path: ['high'] });
export type ReturnNormConfig = z.infer<typeof returnNormSchema>;

/** DreamerV3's settings (configs.yaml `retnorm: {impl: perc_ema, decay: 0.99, max: 1.0, perclo: 5, perchi: 95}`). */
export const RETURN_NORM_DREAMERV3: ReturnNormConfig = { decay: 0.99, low: 5, high: 95, minScale: 1 };

export const actorCriticConfigSchema = z.strictObject({
  /** Imagination horizon H (states imagined from every posterior state of a batch). */
  horizon: int(1, 1000),
  /** Start states per update: a random subset of the batch's posterior states; null = all of them (papers). */
  starts: int(1, 1e6).nullable().default(null),
  gamma: real(0, 1),
  lambda: real(0, 1),
  actor: z.strictObject({
    ...net,
    /** Continuous actors (Dreamer v1 / V2); a discrete action space always gets a one-hot categorical. */
    dist: z.enum(['tanh_normal', 'trunc_normal']),
    initStd: z.number().positive().max(1e3),
    minStd: real(0, 1e3),
    /** 'auto': dynamics backprop for continuous actions, REINFORCE for discrete (DreamerV2 actor_grad). */
    grad: z.enum(['auto', 'dynamics', 'reinforce', 'both']),
    /** Share of the dynamics gradient when grad is 'both' (DreamerV2 actor_grad_mix). */
    gradMix: real(0, 1),
    entropy: real(0, 1e3),
    /** Scale of the output layer's initial weights (DreamerV3 policy `outscale` 0.01: the mode starts near 0). */
    outScale: real(0, 10).default(1),
    /** null: the raw λ-return (Dreamer v1 / V2); else DreamerV3's percentile normalisation of it. */
    returnNorm: returnNormSchema.nullable().default(null),
  }),
  critic: z.strictObject({
    ...net,
    /** The slow (target) critic is mixed towards the critic every N updates (DreamerV2 slow_target_update). */
    slowEvery: int(1, 1e7),
    /** Mix fraction of each slow update; 1 = hard copy (DreamerV2 slow_target_fraction). */
    slowFraction: real(0, 1),
  }),
  /** Loss scales (both 1 in the papers; DreamerV3 names them policy/value). */
  scales: z.strictObject({ actor: real(0, 1e6), critic: real(0, 1e6) }),
  /** Exploration for collection: Gaussian std on box actions (Dreamer v1 0.3), ε-random for discrete. */
  explorationNoise: real(0, 10),
  /** Model updates before the actor-critic's first update (0: from the first, as the papers). */
  startAfter: int(0, 1e7).default(0),
});

export type ActorCriticConfig = z.infer<typeof actorCriticConfigSchema>;

// Dreamer v1 (dreamer.py define_config; §1.3): H 15, γ 0.99, λ 0.95, actor 4×400 ELU tanh-normal (init std 5,
// min std 1e-4), value 3×400, lrs 8e-5, Adam clip 100 (tools.py Adam: Keras default eps 1e-7); no entropy bonus, no slow critic (a slow update every
// step with fraction 1 is the critic itself); exploration noise 0.3.
export const ACTOR_CRITIC_DREAMERV1: ActorCriticConfig = {
  horizon: 15,
  starts: null, // every posterior state of the 50×50 batch
  gamma: 0.99,
  lambda: 0.95,
  actor: {
    layers: 4,
    units: 400,
    act: 'elu',
    lr: 8e-5,
    adamEps: 1e-7,
    clipNorm: 100,
    dist: 'tanh_normal',
    initStd: 5,
    minStd: 1e-4,
    grad: 'dynamics',
    gradMix: 1,
    entropy: 0,
    outScale: 1, // Glorot-initialised output layer, as every layer of models.py
    returnNorm: null, // the raw λ-return (dreamer.py _train)
  },
  critic: { layers: 3, units: 400, act: 'elu', lr: 8e-5, adamEps: 1e-7, clipNorm: 100, slowEvery: 1, slowFraction: 1 },
  scales: { actor: 1, critic: 1 },
  explorationNoise: 0.3,
  startAfter: 0, // dreamer.py pretrains model, actor and value together (pretrain 100)
};

// DreamerV2 dmc_vision (configs.yaml; §1.4): actor/critic 4×400 ELU, trunc-normal min std 0.1, actor lr 8e-5,
// critic lr 8e-5, Adam eps 1e-5 clip 100, actor_ent 1e-4, actor_grad auto, actor_grad_mix 0.1, slow critic
// hard-copied every 100 updates; expl_noise 0 (sampling from the actor explores).
export const ACTOR_CRITIC_DREAMERV2: ActorCriticConfig = {
  horizon: 15,
  starts: null, // every posterior state of the 16×50 batch
  gamma: 0.99,
  lambda: 0.95,
  actor: {
    layers: 4,
    units: 400,
    act: 'elu',
    lr: 8e-5,
    adamEps: 1e-5,
    clipNorm: 100,
    dist: 'trunc_normal',
    initStd: 1,
    minStd: 0.1,
    grad: 'auto',
    gradMix: 0.1,
    entropy: 1e-4,
    outScale: 1, // Glorot-initialised output layer (nets.py MLP / DistLayer)
    returnNorm: null, // the raw λ-return (agent.py ActorCritic.actor_loss)
  },
  critic: {
    layers: 4,
    units: 400,
    act: 'elu',
    lr: 8e-5,
    adamEps: 1e-5,
    clipNorm: 100,
    slowEvery: 100,
    slowFraction: 1,
  },
  scales: { actor: 1, critic: 1 },
  explorationNoise: 0,
  startAfter: 0, // agent.py trains world model and actor-critic from the first update
};

/**
 * CPU-sized actor-critic for the `small` RSSM preset (~1000 updates on two shared cores instead of the papers'
 * 10⁵–10⁶); each departure from Dreamer v1 (above) with its reason:
 * - actor/critic 2×64 ELU (paper 4×400 / 3×400): the 64-unit belief needs no wider nets, and imagining from
 *   512 start states × 15 steps must stay a fraction of a model step.
 * - critic lr 3e-4 (paper 8e-5): its targets grow towards ~r/(1 − γ) within the run's ~1000 updates. The actor
 *   keeps the paper's 8e-5: at 3e-4 its mode saturated at a bound within ~100 updates, before the reward head
 *   beat a constant (measured on cartpole, eval:dreamer), and a saturated tanh mean does not come back.
 * - trunc-normal actor, min std 0.1, entropy 1e-3 (v1: tanh-normal init std 5, min std 1e-4, no entropy): the
 *   v1 actor's std collapsed into a saturated constant push (entropy −3.6 → −10 in 1000 updates) before the
 *   model knew the reward; a floor and a small bonus keep it exploring (V2's distribution, 10× V2's 1e-4).
 * - Raw returns and a Glorot output layer. DreamerV3's return normalisation with its entropy 3e-4 and policy
 *   outscale 0.01 (`returnNorm`, `outScale`) were measured on seed 1 (eval:dreamer, session 5) and are not the
 *   default: with actor lr 8e-5 the mode stayed off the bound longer (|mode| 0.39 at update 125 vs ~0.95 at 100)
 *   but sat at it by update ~375 and scored 72.3 / 73.6 at updates 250 / 500 (random 92.4); with DreamerV3
 *   2023's actor lr 3e-5 the policy stayed near-uniform (entropy 0.69, |mode| < 0.15) and its mode scored 23.4
 *   at update 250.
 * - Also measured on seed 1 (session 6, eval:dreamer, mode scores at checkpoints, random 92.4) and not the
 *   default: entropy 1e-2 (saturated at the bound by update 100 as at 1e-3), DreamerV2's gradient mix (grad
 *   'both', mix 0.1: 143.4 / 88.5 / 93.2 at updates 250 / 500 / 750), exploration noise 1.0 (69.0 at 500, the
 *   mode at −1 in every state), one episode every 50 updates (115.2 / 67.7 at 500 / 750). The action probe
 *   (core/agents/action-probe.ts) on the defaults' seed-1 models and on the mix / noise runs: the imagined
 *   15-step reward rises (or falls) with a constant action in every probed state while the real env's does
 *   not, so the pathwise gradient pushes one bound everywhere; session 5's passing runs (seeds 0 and 2, 1000
 *   updates) rank the actions with an interior optimum. Not the only failure: seed 0 at 1500 updates (session
 *   6) sat at +1 while its model already preferred 0.
 * - The `small` RSSM preset (rssm/config.ts) starts this actor-critic after 500 model updates (`startAfter`;
 *   Dreamer v1 trains model, actor and value together from the first update, its 100 pretraining ones too): its first
 *   ~20 episodes come from the untrained actor (std ~1, actions spread over [−1, 1]), so the actor first follows
 *   a model that has seen every action. Measured (session 7, eval:dreamer, 1 wasm thread, load 5–9, mode scores
 *   from the runs' checkpoints, random 92.4, pass 138.6) at 750 / 1000 / 1250 / 1500 steps: seed 0 134.4 /
 *   145.4 / 161.9 / 141.2, seed 1 117.5 / 184.3 / 170.2 / 192.1, seed 2 72.1 / 163.3 / 160.6 / 214.3; the
 *   same seeds from the first update at 1000: 72.2 / 76.6 / 125.2. Seed 2's actor still ran to +1 (mode 0.99 at
 *   update 750, its model then rising with the action in every probed state) and came back by update 1000, its
 *   mode state-dependent (−0.08 … 0.89) and its model's ranking with an interior optimum. Passing at 1000, 1250
 *   and 1500 on every seed, the verdict did not flip with the step count there, as it did without the wait.
 * - slow critic hard-copied every 50 updates (V2 every 100): ~20 target refreshes in 1000 updates.
 * - 128 random start states of the batch's 512 posterior states (papers: all of them): imagination was as
 *   costly as the model step itself; 128 starts are ~2× cheaper per update (695 vs 1138 ms measured, wasm,
 *   loaded machine), and the batch's consecutive states are strongly correlated anyway.
 * Horizon 15, γ 0.99, λ 0.95 and exploration noise 0.3 stay the paper's.
 */
export const ACTOR_CRITIC_SMALL: ActorCriticConfig = {
  ...ACTOR_CRITIC_DREAMERV1,
  starts: 128,
  actor: {
    ...ACTOR_CRITIC_DREAMERV1.actor,
    layers: 2,
    units: 64,
    lr: 8e-5, // Dreamer v1 / DreamerV2 actor lr
    dist: 'trunc_normal',
    initStd: 1,
    minStd: 0.1,
    entropy: 1e-3,
  },
  critic: { ...ACTOR_CRITIC_DREAMERV1.critic, layers: 2, units: 64, lr: 3e-4, slowEvery: 50, slowFraction: 1 },
};

/** Tiny networks for tests and smoke runs (not from a paper). */
export const ACTOR_CRITIC_DEBUG: ActorCriticConfig = {
  ...ACTOR_CRITIC_DREAMERV2,
  horizon: 8,
  actor: { ...ACTOR_CRITIC_DREAMERV2.actor, layers: 2, units: 32, lr: 1e-3, entropy: 1e-3 },
  critic: { ...ACTOR_CRITIC_DREAMERV2.critic, layers: 2, units: 32, lr: 1e-3, slowEvery: 20 },
  explorationNoise: 0.3,
};

/** What the runner needs to run a family's agent: which behaviour, its settings, and the online schedule. */
export interface AgentSettings {
  behavior: 'cem' | 'actor-critic' | 'plan2explore' | 'lexa';
  /** LEXA's explorer and achiever (core/models/lexa-config.ts); absent: the small preset's. */
  lexa?: LexaConfig;
  planner: { horizon: number; candidates: number; topK: number; iterations: number };
  actorCritic: ActorCriticConfig;
  online: {
    seedEpisodes: number;
    trainEvery: number;
    explorationNoise: number;
    /** null: the env's own (a family whose data came from a dataset collected at the env's defaults). */
    actionRepeat: number | null;
    episodeSteps: number | null;
    /** What the env draws behind the bodies (core/envs/background.ts); absent = 'plain'. */
    background?: 'plain' | 'noise' | 'video';
  };
  /** Frame size the model works at (env frames are rendered at it). */
  imageSize: number;
}
