import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addEpisode, createDataset } from '../../core/data/dataset.ts';
import { seededEpisodeName } from '../../core/data/episode-file.ts';
import { makePolicy } from '../../core/agents/random-agents.ts';
import { rolloutEpisode } from '../../core/agents/rollout.ts';
import { makeEnv } from '../../core/envs/registry.ts';
import type { Space } from '../../core/envs/types.ts';
import { Rng } from '../../core/util/rng.ts';

/** A controller phase that costs next to nothing: 2 CMA-ES generations of 4, one 5-step dream each, 1 real episode. */
export const TINY_CONTROLLER = {
  enabled: true,
  generations: 2,
  population: 4,
  rolloutsPerCandidate: 1,
  dreamLength: 5,
  workers: 1,
  evalEpisodes: 1,
};

/** A temp workspace with a dataset of `episodes` episodes of a built-in env collected here. */
export function collectWorkspace(opts: {
  env: string;
  episodes: number;
  size: number;
  name?: string;
  policy?: string;
  seed?: number;
  maxSteps?: number;
}): { workspace: string; dataset: string } {
  const workspace = mkdtempSync(join(tmpdir(), 'oneiro-wm-'));
  const name = opts.name ?? 'data';
  const env = makeEnv(opts.env, { size: opts.size, ...(opts.maxSteps ? { maxSteps: opts.maxSteps } : {}) });
  const space = env.actionSpace as Space & { shape?: number[] };
  const ds = createDataset(workspace, name, {
    env: opts.env,
    observationShape: [opts.size, opts.size, 3],
    actionSpace:
      space.kind === 'box'
        ? { kind: 'box', shape: space.shape!, low: space.low, high: space.high }
        : { kind: 'discrete', n: space.n },
    source: { kind: 'test', policy: opts.policy ?? 'random' },
  });
  const rng = new Rng(opts.seed ?? 7);
  const policy = makePolicy(opts.policy ?? 'random', env.actionSpace, rng);
  // Seeded names: the held-out split hashes file names, so clock-and-uuid names made which episodes trained vary
  // run to run (the divergence test's blow-up then sometimes recovered from its first skipped steps).
  for (let e = 0; e < opts.episodes; e++) {
    const ep = rolloutEpisode(env, policy, (opts.seed ?? 7) * 1000 + e).episode;
    addEpisode(ds, ep, { level: 1, file: seededEpisodeName(ep, opts.seed ?? 7, e) });
  }
  return { workspace, dataset: name };
}
