/**
 * measure-small's own departures from a family's `small` preset (scripts/measure-small.ts): the recipe it runs per
 * family and env, kept apart from the script so a test can read what the script trains.
 */
import type { MeasureEnv } from './eval-along.ts';

// World Models on cartpole: the measured rows meeting issue 11 item 2 (docs/results/small-presets.md "World Models on cartpole:
// M's LSTM 256 wide (session 12)") are the `small` preset since session 16 (M 256 wide, 6000 steps, rnn.startsAnywhere 0.5; its
// seqLen 300 trains whole 124-transition episodes, as the rows' 124 did) on 300 episodes: at 100 held-out sin θ
// stayed ≤ 0.56 (M memorises 90 episodes).
export const WM_CARTPOLE = { episodes: 300 } as const;

// Car-racing's track pose is heavy-tailed (the car spins, leaves the road): the 28 episodes a run's 10 % split held out
// of 300 had no frame facing against the track or out of view of the road, where two fresh sets of 100 have 1.3 % /
// 5.8 % facing back and 0.6 % / 2.1 % out of view, carrying 20.5 % / 33.5 % of the offset's variance (session 13,
// docs/results/small-presets.md "Car-racing on a held-out set of its own"): the split's R² measured another population than the probe was
// fitted on. A held-out set of its own, on tracks no training episode drove, replaces the split there; cartpole's
// 33 held-out episodes stay.
export const EVAL_EPISODES: Record<MeasureEnv, number> = { 'cartpole-swingup': 0, 'car-racing': 100 };

/** Episodes per set at most: set S's tracks are S·1000 + i, i < SEED_SPAN, so two seeds' sets never share one. */
export const SEED_SPAN = 1000;
/** The largest seed: held-out tracks start at 5 000 000 = 5000·SEED_SPAN, above every training seed's. */
export const MAX_SEED = 4999;
/** Env seed of training episode i (seed S's tracks: S·1000 + i). */
export const trainEnvSeed = (seed: number, i: number): number => seed * SEED_SPAN + i;
/** Env seed of held-out episode i: its own range, away from every training seed's (and eval:world-models' 3 000 000+). */
export const heldOutEnvSeed = (seed: number, i: number): number => (MAX_SEED + 1 + seed) * SEED_SPAN + i;

/** How many episodes measure-small collects when --episodes is not given. */
export function recipeEpisodes(family: string, env: MeasureEnv, collected: number): number {
  return family === 'world-models' && env === 'cartpole-swingup' ? WM_CARTPOLE.episodes : collected;
}

/**
 * The script's config overrides for a family on an env (--override is merged over these). World Models runs without
 * its controller phase: item 2 measures the model, not the controller. --vae-steps / --rnn-steps win over the recipe.
 */
export function recipeOverrides(
  family: string,
  env: MeasureEnv,
  steps: { vae?: number; rnn?: number } = {},
): Record<string, unknown> {
  if (family !== 'world-models') return {};
  return {
    controller: { enabled: false },
    ...(steps.vae !== undefined ? { vae: { steps: steps.vae } } : {}),
    ...(steps.rnn !== undefined ? { rnn: { steps: steps.rnn } } : {}),
  };
}
