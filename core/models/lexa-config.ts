import { z } from 'zod';
import {
  ACTOR_CRITIC_DEBUG,
  ACTOR_CRITIC_DREAMERV2,
  ACTOR_CRITIC_SMALL,
  actorCriticConfigSchema,
  int,
  net,
  real,
} from './actor-critic-config.ts';

/**
 * Config blocks of LEXA's two behaviours (mission-anchors §1.6; orybkin/lexa lexa/configs.yaml): the
 * Plan2Explore explorer (lexa/exploration.py) and the goal-conditioned achiever (lexa/gcdreamer_imag.py), and
 * how they alternate. Declared here, beside the actor-critic's block, so family configs reference them without
 * importing upward. Strict, every number bounded.
 */

export const plan2exploreConfigSchema = z.strictObject({
  /** Ensemble size K (lexa `disag_models`). */
  models: int(2, 64),
  /** Each head's MLP (lexa `disag_layers` × `disag_units`, `act`), its Adam (`model_lr`, `opt_eps`, `grad_clip`). */
  ...net,
  /** Heads predict the stochastic state this many steps later (lexa `disag_offset`). */
  offset: int(1, 100),
  /** Reward = log of the disagreement (lexa `disag_log`). */
  log: z.boolean(),
  /** Intrinsic reward scale (lexa `expl_intr_scale`). */
  scale: real(0, 1e6),
  /** The explorer's own actor-critic in imagination (lexa: an `ImagBehavior` with the task's settings). */
  actorCritic: actorCriticConfigSchema,
});
export type Plan2ExploreConfig = z.infer<typeof plan2exploreConfigSchema>;

export const achieverConfigSchema = z.strictObject({
  /**
   * `cosine`: cos(goal features, imagined features) (lexa `lexa_cosine`); `temporal`: −D, a network regressing
   * normalised steps-to-go (lexa `lexa_temporal`, gc_reward 'dynamical_distance').
   */
  reward: z.enum(['cosine', 'temporal']),
  temporal: z.strictObject({
    ...net,
    /**
     * What D reads: `embed` = [embed head(f_t), goal embedding] (lexa `dd_inp: embed` with `pred_embed: True`,
     * the lexa_temporal default), `stoch` = [stoch(f_t), stoch(goal features)] (lexa `dd_inp: feat`). Runs made
     * before the choice existed read `stoch`.
     */
    input: z.enum(['embed', 'stoch']).default('stoch'),
    /**
     * The embed head (lexa `heads['embed']`, a DenseHead of `value_layers` × `units` on stop-gradient features,
     * Normal(mean, 1) likelihood of the stop-gradient encoder embedding; gcdreamer_wm.py), with its own Adam.
     */
    embedHead: z
      .strictObject({ ...net })
      .default({ layers: 2, units: 64, act: 'elu', lr: 1e-3, adamEps: 1e-5, clipNorm: 100 }),
    /** Positive pairs sampled per update (lexa `dd_num_positives`). */
    positives: int(1, 1e5),
    /** Negatives = ⌊factor · positives⌋, label seq_len (lexa `dd_neg_sampling_factor`). */
    negFactor: real(0, 10),
  }),
  actorCritic: actorCriticConfigSchema,
});
export type AchieverConfig = z.infer<typeof achieverConfigSchema>;

export const lexaConfigSchema = z.strictObject({
  explorer: plan2exploreConfigSchema,
  achiever: achieverConfigSchema,
  /** The explorer collects every N-th episode, the achiever the others (lexa `expl_every_ep`, tools.EveryNCalls). */
  explEveryEp: int(0, 1000),
});
export type LexaConfig = z.infer<typeof lexaConfigSchema>;

// lexa/configs.yaml: disag_models 10, disag_layers 4, disag_units 400, act elu, disag_offset 1, disag_log True,
// expl_intr_scale 1.0, model_lr 3e-4, opt_eps 1e-5, grad_clip 100; dd_num_positives 256, dd_neg_sampling_factor
// 0.1, dd optimiser value_lr 8e-5 / value_grad_clip 100; the distance net is networks.py GC_Distance's default
// 4×128 ReLU (its batch norm after each layer is left out here); expl_every_ep 2.
export const LEXA_PAPER: LexaConfig = {
  explorer: {
    models: 10,
    layers: 4,
    units: 400,
    act: 'elu',
    lr: 3e-4,
    adamEps: 1e-5,
    clipNorm: 100,
    offset: 1,
    log: true,
    scale: 1,
    actorCritic: ACTOR_CRITIC_DREAMERV2,
  },
  achiever: {
    reward: 'temporal',
    temporal: {
      layers: 4,
      units: 128,
      act: 'relu',
      lr: 8e-5,
      adamEps: 1e-5,
      clipNorm: 100,
      positives: 256,
      negFactor: 0.1,
      input: 'embed',
      // lexa models.py heads['embed']: DenseHead(value_layers 3, units 400, act elu), model_lr 3e-4, opt_eps 1e-5, grad_clip 100
      embedHead: { layers: 3, units: 400, act: 'elu', lr: 3e-4, adamEps: 1e-5, clipNorm: 100 },
    },
    actorCritic: ACTOR_CRITIC_DREAMERV2,
  },
  explEveryEp: 2,
};

/**
 * CPU-sized (for the `small` RSSM preset): 5 heads of 2×64 and 2×64 nets with lr 1e-3 / 3e-4 instead of 10 of
 * 4×400 at 3e-4 / 8e-5 — ~1000 updates on two shared cores instead of 10⁵; the reward defaults to `cosine`
 * (needs no extra network to become useful early). Alternation, offset and the reward formulas are the paper's.
 */
export const LEXA_SMALL: LexaConfig = {
  explorer: { ...LEXA_PAPER.explorer, models: 5, layers: 2, units: 64, lr: 1e-3, actorCritic: ACTOR_CRITIC_SMALL },
  achiever: {
    reward: 'cosine',
    temporal: {
      ...LEXA_PAPER.achiever.temporal,
      layers: 2,
      units: 64,
      lr: 3e-4,
      positives: 128,
      embedHead: { ...LEXA_PAPER.achiever.temporal.embedHead, layers: 2, units: 64, lr: 1e-3 },
    },
    actorCritic: ACTOR_CRITIC_SMALL,
  },
  explEveryEp: 2,
};

/** Tiny networks for tests (not from a paper). */
export const LEXA_DEBUG: LexaConfig = {
  explorer: { ...LEXA_PAPER.explorer, models: 3, layers: 1, units: 16, lr: 1e-3, actorCritic: ACTOR_CRITIC_DEBUG },
  achiever: {
    reward: 'cosine',
    temporal: {
      ...LEXA_PAPER.achiever.temporal,
      layers: 1,
      units: 16,
      lr: 1e-3,
      positives: 32,
      embedHead: { ...LEXA_PAPER.achiever.temporal.embedHead, layers: 1, units: 16, lr: 1e-3 },
    },
    actorCritic: ACTOR_CRITIC_DEBUG,
  },
  explEveryEp: 2,
};
