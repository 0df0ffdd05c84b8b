import { getEnvSpec } from '../core/envs/registry.ts';
import { UserError } from '../core/util/errors.ts';
import { deepMerge } from '../core/util/safe-keys.ts';

/**
 * The config overrides eval:world-models trains with: the preset's own VAE/MDN-RNN steps, CMA-ES generations,
 * population and dream temperature unless a flag gives them (so `--preset small` measures the small preset,
 * not numbers left over from the debug budget), and dreams as long as the collected episodes unless
 * --dream-steps says otherwise (WMx caps its CarRacing dream at 1200 steps, carracing/dream_env.py, beyond the
 * real 1000). Measured on CarRacing, small, data over the controller's actions, seeds 0/1/2: 1000-step dreams
 * −81.4/−66.2/−1.8 vs random −24.9/−28.1/−28.2 (1 of 3); 300-step dreams −62.9/−85.6 on seeds 0/1. Inconclusive,
 * so the cheaper default stays; the losing controllers are near-constant circling actions the dream overpays.
 */
export interface WorldModelsEvalFlags {
  vaeSteps?: number;
  rnnSteps?: number;
  generations?: number;
  population?: number;
  temperature?: number;
  /** Dream length; default collectSteps. */
  dreamSteps?: number;
  /** Steps of a collected episode. */
  collectSteps: number;
  evalEpisodes: number;
  /** --override: config overrides deep-merged over the script's own (a lever tried on the gate, e.g. M's width). */
  override?: Record<string, unknown>;
}

/**
 * Action repeat eval:world-models collects, dreams and scores at, unless --action-repeat says otherwise: the env's
 * own (core/envs/registry.ts), except CarRacing at 4 — a departure from WMx, which acted on every frame. Measured
 * (small, seed 0, 100 Brownian episodes, V and M 500 steps, open-loop dreams of fixed action sequences from frame 0
 * on 8 other tracks, τ 1.15): at repeat 1 the dream paid circling left at full gas +33.3 over 300 steps (real −13.6)
 * above driving straight +25.7 (real +37.8); at repeat 4 circling −75.9 (real −83.6) below straight at half gas +1.9
 * (real −30.6). One M step then moves the car 4 frames, so steering shows in the next latent (held-out next-z NLL
 * 0.586 vs 0.629 with actions shuffled in time, against 0.255 vs 0.266 at repeat 1), and a 250-step dream covers the
 * whole 1000-frame scored episode.
 */
export const GATE_ACTION_REPEAT: Readonly<Record<string, number>> = { 'car-racing': 4 };

export function gateActionRepeat(env: string): number {
  // hasOwn: a name such as '__proto__' or 'constructor' must reach the registry's one-line refusal, not Object's.
  return Object.hasOwn(GATE_ACTION_REPEAT, env) ? GATE_ACTION_REPEAT[env] : getEnvSpec(env).defaults.actionRepeat;
}

/**
 * Episodes eval:world-models collects per seed unless --episodes says otherwise (WMx collected 10,000 rollouts).
 * At repeat 4 on CarRacing, 24 episodes left M's dream paying a constant right circle +14.1 over 250 steps (real
 * −82.7, the top of 8 fixed action sequences in the dream) where 100 rank it −80.0; the gate's seed 0 went from a
 * dream-vs-real gap of +71.6 to +13.0 (issue 11 item 3; measured in commit 7f2c469). Collection is ~25 s of the ~6 min a seed takes.
 */
export const GATE_EPISODES = 100;

/** Steps of a collected episode unless --collect-steps is given: 300, or the env's whole episode when shorter. */
export function gateCollectSteps(episodeSteps: number): number {
  return Math.min(300, episodeSteps);
}

const defined = (o: Record<string, number | undefined>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Record<string, number>;

export function dreamStepsOf(f: Pick<WorldModelsEvalFlags, 'dreamSteps' | 'collectSteps'>): number {
  return f.dreamSteps ?? f.collectSteps;
}

export function worldModelsEvalOverrides(f: WorldModelsEvalFlags) {
  const own = {
    vae: defined({ steps: f.vaeSteps }),
    rnn: defined({ steps: f.rnnSteps }),
    controller: {
      enabled: true,
      ...defined({ generations: f.generations, population: f.population, temperature: f.temperature }),
      rolloutsPerCandidate: 4,
      dreamLength: dreamStepsOf(f),
      evalEpisodes: f.evalEpisodes,
      workers: 2,
    },
  };
  // A hostile key is the user's input: a UserError, which the script prints as one line (exit 2).
  return deepMerge(own, f.override, (m) => new UserError(`--override: ${m}`));
}
