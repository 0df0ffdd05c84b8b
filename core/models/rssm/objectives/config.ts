import { z } from 'zod';

/**
 * Config blocks of the RSSM's representation objectives (issue 15): what replaces or keeps the pixel likelihood.
 * `objective` picks one; each objective's settings live in their own block so a preset carries all of them and
 * `--set objective=contrastive` works on any preset. Sources: mission-anchors §1.7 (CVRL), §1.8 (DreamerPro).
 */
const int = (min: number, max: number) => z.number().int().min(min).max(max);
const real = (min: number, max: number) => z.number().min(min).max(max);

export const OBJECTIVES = ['reconstruction', 'contrastive', 'prototypes'] as const;
export type ObjectiveKind = (typeof OBJECTIVES)[number];
export const objectiveSchema = z.enum(OBJECTIVES);

/** Critics of the contrastive objective: CVRL's learned features, or TPC's prior density (mission-anchors §1.7). */
export const CRITICS = ['features', 'prior'] as const;
export type ContrastiveCritic = (typeof CRITICS)[number];

export const contrastiveSchema = z.strictObject({
  /** Width of f's hidden and output layers and of g's output (CVRL: deter_size). */
  units: int(1, 8192),
  /** Width of g's hidden layer (CVRL: 2·deter_size). */
  obsUnits: int(1, 8192),
  /** Scale of the InfoNCE term in the model loss (CVRL: 1, it replaces the image log-likelihood). */
  scale: real(0, 1e4),
  /**
   * The critic that scores a (state, observation) pair: 'features' is CVRL's f(feat)·g(embed); 'prior' is TPC's
   * prior density ln p(z̄ | h) of the perturbed posterior mean under the prior predicted from h (Gaussian latents).
   * Defaults keep configs written before the option valid.
   */
  critic: z.enum(CRITICS).default('features'),
  /** Std of the noise added to the posterior mean for the prior critic (TPC perturb_std 0.2). */
  perturbStd: real(0, 10).default(0.2),
  /** Leading time steps dropped from the prior critic's InfoNCE (TPC warm_up 1; unused by 'features'). */
  warmUp: int(0, 4096).default(1),
});

export const prototypesSchema = z.strictObject({
  /** Number of prototypes K (DreamerPro num_prototypes 2500). */
  count: int(2, 100000),
  /** Projection and prototype dimension (DreamerPro proto 32). */
  dim: int(1, 1024),
  /** Softmax temperature τ of the prototype scores (0.1). */
  temperature: z.number().positive().max(100),
  /** Sinkhorn-Knopp entropy ε (0.05; 0.0125 in the dmc config). */
  sinkhornEps: z.number().positive().max(100),
  sinkhornIters: int(1, 100),
  /** Updates during which the prototypes get zero gradient (freeze_prototypes_iters 10000). */
  freezeIters: int(0, 1e8),
  /** EMA fraction of the target encoder and projection, every update (ema_update_fraction 0.05). */
  emaFraction: real(0, 1),
  /** Largest random shift of the two views in pixels, the same across time (aug.max_delta 3). */
  maxShift: real(0, 64),
  /** Leading time steps dropped from the prototype losses (warm_up 1). */
  warmUp: int(0, 4096),
  swavScale: real(0, 1e4),
  tempScale: real(0, 1e4),
  normScale: real(0, 1e4),
});

export type ContrastiveConfig = z.infer<typeof contrastiveSchema>;
export type PrototypesConfig = z.infer<typeof prototypesSchema>;

// Yusufma03/CVRL cvrl.py: ContrastiveObsModel(deter_size, 2·deter_size) with deter_size 200.
// TPC's perturb_std 0.2 and warm_up 1 (fdeng18/dreamer-pro TPC/dreamerv2/configs.yaml) ride along for critic 'prior'.
const TPC_CRITIC = { critic: 'features', perturbStd: 0.2, warmUp: 1 } as const;
export const CONTRASTIVE_CVRL: ContrastiveConfig = { units: 200, obsUnits: 400, scale: 1, ...TPC_CRITIC };
// fdeng18/dreamer-pro DreamerPro/dreamerv2/configs.yaml (defaults + dmc): rssm num_prototypes 2500, proto 32,
// temperature 0.1, sinkhorn_eps 0.0125 (dmc), sinkhorn_iters 3, warm_up 1; freeze_prototypes_iters 10000;
// ema_update_fraction 0.05 every update; aug max_delta 3; loss_scales swav/temp/norm 1 (norm_off sets norm 0).
export const PROTOTYPES_DREAMERPRO: PrototypesConfig = {
  count: 2500,
  dim: 32,
  temperature: 0.1,
  sinkhornEps: 0.0125,
  sinkhornIters: 3,
  freezeIters: 10000,
  emaFraction: 0.05,
  maxShift: 3,
  warmUp: 1,
  swavScale: 1,
  tempScale: 1,
  normScale: 1,
};

/**
 * CPU-sized: the reference has as many prototypes as samples per view (50 × 50 = 2500) and freezes them for
 * ~10% of a run; the small preset's 16 × 32 batch gets 500 prototypes and its 3000 steps a 300-step freeze.
 */
export const PROTOTYPES_SMALL: PrototypesConfig = { ...PROTOTYPES_DREAMERPRO, count: 500, freezeIters: 300 };
export const PROTOTYPES_DEBUG: PrototypesConfig = { ...PROTOTYPES_DREAMERPRO, count: 64, dim: 16, freezeIters: 10 };
export const CONTRASTIVE_SMALL: ContrastiveConfig = { units: 64, obsUnits: 128, scale: 1, ...TPC_CRITIC };
export const CONTRASTIVE_DEBUG: ContrastiveConfig = { units: 32, obsUnits: 64, scale: 1, ...TPC_CRITIC };

/** The objective fields every preset carries (reconstruction by default). */
export interface ObjectiveFields {
  objective: ObjectiveKind;
  contrastive: ContrastiveConfig;
  prototypes: PrototypesConfig;
}

export const OBJECTIVE_PAPER: ObjectiveFields = {
  objective: 'reconstruction',
  contrastive: CONTRASTIVE_CVRL,
  prototypes: PROTOTYPES_DREAMERPRO,
};
export const OBJECTIVE_SMALL: ObjectiveFields = {
  objective: 'reconstruction',
  contrastive: CONTRASTIVE_SMALL,
  prototypes: PROTOTYPES_SMALL,
};
export const OBJECTIVE_DEBUG: ObjectiveFields = {
  objective: 'reconstruction',
  contrastive: CONTRASTIVE_DEBUG,
  prototypes: PROTOTYPES_DEBUG,
};
