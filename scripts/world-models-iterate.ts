/**
 * World Models' iterative training procedure (Ha & Schmidhuber 2018, §"Iterative Training Procedure": roll
 * the controller out in the real env, save its observations and actions, retrain M on them and C inside M, and
 * go back until the task is done) as eval:world-models runs it: each iteration after the first collects
 * episodes with the last controller plus Gaussian exploration noise into the same dataset (so M learns from the
 * union), then trains a new run that starts from the last run's V, M and CMA-ES state (core/runs/seed-from.ts
 * 'iteration'). V stays as trained on the first data (the paper's loop retrains M and C; the VAE is also the
 * costliest phase on a CPU).
 */
import type { Behavior } from '../core/agents/behavior.ts';
import { LatentAgent } from '../core/agents/latent-agent.ts';
import { rolloutEpisode } from '../core/agents/rollout.ts';
import { addEpisode, type Dataset } from '../core/data/dataset.ts';
import { seededEpisodeName } from '../core/data/episode-file.ts';
import type { Env } from '../core/envs/types.ts';
import type { LatentWorldModel } from '../core/models/latent-world-model.ts';
import { UserError } from '../core/util/errors.ts';

/** Env seeds of eval:world-models: random-policy collection, real-env scoring, and iteration collection. */
export const collectEnvSeed = (seed: number, e: number) => 10_000 + seed * 1000 + e;
// Seed s is scored on tracks 3,000,000 + 1000·s + e: until session 9 it was 3,000,000 + s + e, so seeds 0, 1 and 2
// shared 3–4 of their 5 scored tracks and "3 of 3 seeds" was not three independent draws.
export const evalEnvSeed = (seed: number) => 3_000_000 + seed * 1000;
/**
 * Iteration `it` (≥ 2) of seed `seed` collects on env seeds of its own, never a track the controller is scored
 * on (evalEnvSeed(seed) + e for e < 1000) nor one the random data came from; up to 1000 episodes per iteration.
 */
export function iterationEnvSeed(seed: number, it: number, e: number): number {
  if (!Number.isInteger(it) || it < 2)
    throw new UserError(`iterations collect from the second on, got iteration ${it}`);
  if (!Number.isInteger(e) || e < 0 || e >= 1000) throw new UserError(`episode index must be in [0, 1000), got ${e}`);
  return 20_000_000 + seed * 100_000 + it * 1000 + e;
}

/**
 * Steps of an episode the controller collects: as long as the dream it is trained in unless given, so M sees
 * what the controller does over the whole dream (300-step episodes under 1000-step dreams showed M only the
 * first 300 steps, where CarRacing seed 0's controller earned +7.0, not the road it lost later). Measured once
 * (small, seed 0, third iteration): 1000-step episodes made the dream less optimistic (mean dream return 32.8 →
 * −27.4) but the controller did not improve in the real env (−36.3 → −65.8 vs random −24.9, 5 tracks).
 */
export function iterationStepsOf(f: { iterationSteps?: number; dreamSteps: number }): number {
  return f.iterationSteps ?? f.dreamSteps;
}

export interface ControllerCollection {
  episodes: number;
  /** Std of the Gaussian added to each action dimension, clipped to the box (LatentAgent's exploration). */
  noise: number;
  seed: number;
  iteration: number;
  frameSize: number;
}

/** Rolls the controller (+ noise) out in `env` and adds each episode to `ds`; returns frames and mean return. */
export function collectWithController(
  ds: Dataset,
  env: Env,
  wm: LatentWorldModel,
  behavior: Behavior,
  o: ControllerCollection,
): { frames: number; meanReturn: number } {
  let frames = 0;
  let total = 0;
  for (let e = 0; e < o.episodes; e++) {
    const envSeed = iterationEnvSeed(o.seed, o.iteration, e);
    const agent = new LatentAgent(wm, behavior, {
      noise: o.noise,
      seed: envSeed,
      frameSize: o.frameSize,
      explore: false,
    });
    try {
      const r = rolloutEpisode(env, agent, envSeed);
      frames += r.episode.imageShape[0];
      total += r.ret;
      // Named by the seed and its position in the dataset: a re-run splits held-out episodes alike.
      addEpisode(ds, r.episode, { level: 1, file: seededEpisodeName(r.episode, o.seed, ds.meta.episodes.length) });
    } finally {
      agent.dispose();
    }
  }
  return { frames, meanReturn: o.episodes ? total / o.episodes : 0 };
}
