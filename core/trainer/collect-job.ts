import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CollectJob } from './protocol.ts';
import { getEnvSpec } from '../envs/registry.ts';
import { makePolicy } from '../agents/random-agents.ts';
import { rolloutEpisode } from '../agents/rollout.ts';
import { addEpisode, commitStagedDataset, createDatasetAt, datasetDir, datasetsDir } from '../data/dataset.ts';
import { seededEpisodeName } from '../data/episode-file.ts';
import { Rng } from '../util/rng.ts';
import { UserError } from '../util/errors.ts';

/**
 * A collect job in a worker process: policy rollouts (core/agents/rollout.ts, as `oneiro collect`) from a
 * built-in env into a NEW dataset, written to a staging folder and moved into place at the end (the
 * dataset appears whole or not at all). Runs out of the host so a long collection never stalls the UI.
 */

export interface CollectProgress {
  episodesDone: number;
  episodesTotal: number;
  steps: number;
}

export async function collectJob(
  job: CollectJob,
  signal: AbortSignal,
  onProgress: (p: CollectProgress) => void,
): Promise<void> {
  if (existsSync(datasetDir(job.workspace, job.dataset)))
    throw new UserError(
      `dataset '${job.dataset}' already exists in ${datasetsDir(job.workspace)}; choose another name`,
    );
  const spec = getEnvSpec(job.env);
  const env = spec.make({
    size: job.size ?? spec.defaults.size,
    maxSteps: job.maxSteps ?? spec.defaults.maxSteps,
    actionRepeat: spec.defaults.actionRepeat,
  });
  // Same seeding as `oneiro collect`: one stream for the policy, one for the reset seeds.
  const rng = new Rng(job.seed);
  const policy = makePolicy(job.policy, env.actionSpace, rng.fork());
  const resetRng = rng.fork();
  const staging = join(datasetsDir(job.workspace), `.staging-${job.dataset}-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  const ds = createDatasetAt(staging, job.dataset, {
    env: spec.name,
    observationShape: env.observationShape,
    actionSpace: env.actionSpace,
    source: {
      kind: 'collect',
      env: spec.name,
      runs: [{ policy: job.policy, seed: job.seed, episodes: job.episodes, at: new Date().toISOString() }],
    },
  });
  let steps = 0;
  try {
    for (let i = 0; i < job.episodes; i++) {
      if (signal.aborted) throw new UserError(`collect into '${job.dataset}' was cancelled after ${i} episodes`);
      const ep = rolloutEpisode(env, policy, resetRng.int(2 ** 31)).episode;
      // Named from (seed, index), as `oneiro collect` names them: the held-out split hashes file names, so the
      // clock-and-uuid default gave the same seed's episodes another split on every collection.
      const entry = addEpisode(ds, ep, { file: seededEpisodeName(ep, job.seed, i) });
      steps += entry.length - 1;
      onProgress({ episodesDone: i + 1, episodesTotal: job.episodes, steps });
      // Yield so a stop message can arrive between episodes.
      await new Promise((r) => setImmediate(r));
    }
    commitStagedDataset(job.workspace, job.dataset, staging);
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
}
