import type { Episode } from '../data/episode.ts';
import type { Env } from '../envs/types.ts';
import { Rng } from '../util/rng.ts';
import { makePolicy } from './random-agents.ts';
import { rolloutEpisode, type Agent } from './rollout.ts';

/**
 * The collection loop behind `oneiro collect` and the workbench's collect job, so one seed collects the same
 * episodes through either door: the seed's first stream drives the random policy, its second the env's reset
 * seeds, and a trained agent (core/runs/run-policy.ts) is made afresh for each episode from that episode's reset
 * seed. Made before anything is written, so an unknown policy name is refused while nothing exists yet.
 */
export interface EpisodeCollector {
  /**
   * Collects the episodes in order, handing each to `onEpisode`; between episodes it yields to the event loop (a
   * stop message can arrive) and stops when `signal` aborts. Returns how many were collected.
   */
  run(onEpisode: (episode: Episode, index: number) => void, signal?: AbortSignal): Promise<number>;
}

export function episodeCollector(
  env: Env,
  opts: {
    seed: number;
    episodes: number;
    /** A random policy by name (random-agents.ts), used when no agent is given. */
    policy: string;
    /** A trained agent for the episode with this reset seed, disposed after it. */
    agent?: (resetSeed: number) => Agent & { dispose(): void };
  },
): EpisodeCollector {
  const rng = new Rng(opts.seed);
  const policyRng = rng.fork();
  const policy = opts.agent ? null : makePolicy(opts.policy, env.actionSpace, policyRng);
  const resetRng = rng.fork();
  return {
    async run(onEpisode, signal) {
      for (let i = 0; i < opts.episodes; i++) {
        if (signal?.aborted) return i;
        const resetSeed = resetRng.int(2 ** 31);
        const agent = opts.agent ? opts.agent(resetSeed) : policy!;
        let episode: Episode;
        try {
          episode = rolloutEpisode(env, agent, resetSeed).episode;
        } finally {
          if (agent !== policy) (agent as Agent & { dispose(): void }).dispose();
        }
        onEpisode(episode, i);
        await new Promise((r) => setImmediate(r));
      }
      return opts.episodes;
    },
  };
}
