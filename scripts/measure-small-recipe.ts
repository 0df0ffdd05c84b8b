/**
 * measure-small's own departures from a family's `small` preset (scripts/measure-small.ts): the recipe it runs per
 * family and env, kept apart from the script so a test can read what the script trains.
 */
import type { MeasureEnv } from './eval-along.ts';

// World Models on cartpole: the measured row meeting issue 11 item 2 (README "World Models on cartpole under the
// episode protocol", session 11; seed 3, 14.8 / 16.2 train CPU min at M 5000 / 6000) — M on 300 episodes (at 100
// held-out sin θ stayed ≤ 0.56: M memorises 90 episodes), rnn.startsAnywhere 0.5, seqLen 124 (the whole 125-frame
// episode: the preset's 300 is car-racing's length and pads cartpole with 176 masked steps, ~2.2× the CPU), 6000 M
// steps. The script's own departures from the `small` preset, which stays as it is for car-racing and the controller.
// Run end to end (V on the 267 training episodes, not 90) it gave fg@10 0.46 but sin θ R² 0.77: exit 1 (README).
export const WM_CARTPOLE = {
  episodes: 300,
  rnn: { steps: 6000, seqLen: 124, startsAnywhere: 0.5 },
} as const;

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
    rnn: {
      ...(env === 'cartpole-swingup' ? WM_CARTPOLE.rnn : {}),
      ...(steps.rnn !== undefined ? { steps: steps.rnn } : {}),
    },
  };
}
