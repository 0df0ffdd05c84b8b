import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CollectJob } from './protocol.ts';
import { getEnvSpec } from '../envs/registry.ts';
import { episodeCollector } from '../agents/collect-episodes.ts';
import { addEpisode, commitStagedDataset, createDatasetAt, datasetDir, datasetsDir } from '../data/dataset.ts';
import { runDirOf } from '../runs/run-dir.ts';
import type { RunPolicy } from '../runs/run-policy.ts';
import { seededEpisodeName } from '../data/episode-file.ts';
import { UserError } from '../util/errors.ts';

/**
 * A collect job in a worker process: a random policy's or a trained run's agent's rollouts (core/agents/
 * collect-episodes.ts, as `oneiro collect`) from a built-in env into a NEW dataset, written to a staging folder and
 * moved into place at the end (the dataset appears whole or not at all). Runs out of the host so a long collection never stalls the UI.
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
  // A run's agent (tfjs and its family load only then) acts in its env as its data was collected.
  const agentRun = job.agent
    ? await (
        await import('../runs/run-policy.ts')
      ).openRunPolicy(runDirOf(job.workspace, job.agent.run), {
        ...(job.agent.checkpoint !== undefined ? { checkpoint: job.agent.checkpoint } : {}),
      })
    : null;
  try {
    await collectWith(job, spec, agentRun, signal, onProgress);
  } finally {
    agentRun?.dispose();
  }
}

async function collectWith(
  job: CollectJob,
  spec: ReturnType<typeof getEnvSpec>,
  agentRun: RunPolicy | null,
  signal: AbortSignal,
  onProgress: (p: CollectProgress) => void,
): Promise<void> {
  const own = agentRun?.envOptions;
  if (own && job.size !== undefined && job.size !== own.size)
    throw new UserError(
      `size ${job.size}: the agent of ${agentRun!.label} acts on ${own.size} px frames, as its data was collected`,
    );
  const env = own
    ? spec.make({ ...own, ...(job.maxSteps !== undefined ? { maxSteps: job.maxSteps } : {}) })
    : spec.make({
        size: job.size ?? spec.defaults.size,
        maxSteps: job.maxSteps ?? spec.defaults.maxSteps,
        actionRepeat: spec.defaults.actionRepeat,
      });
  const size = env.observationShape[0];
  // The loop `oneiro collect` runs: the same seed collects the same episodes through either door.
  const collector = episodeCollector(env, {
    seed: job.seed,
    episodes: job.episodes,
    policy: job.policy,
    ...(agentRun ? { agent: (resetSeed: number) => agentRun.agent(resetSeed, size, job.agent!.noise) } : {}),
  });
  const record = agentRun
    ? {
        policy: agentRun.label,
        behavior: agentRun.behavior,
        noise: job.agent!.noise,
        size,
        actionRepeat: own!.actionRepeat ?? spec.defaults.actionRepeat,
        background: own!.background ?? 'plain',
        ...(own!.backgroundFrames ? { backgroundSource: own!.backgroundFrames.source } : {}),
      }
    : { policy: job.policy };
  const staging = join(datasetsDir(job.workspace), `.staging-${job.dataset}-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  const ds = createDatasetAt(staging, job.dataset, {
    env: spec.name,
    observationShape: env.observationShape,
    actionSpace: env.actionSpace,
    source: {
      kind: 'collect',
      env: spec.name,
      runs: [{ ...record, seed: job.seed, episodes: job.episodes, at: new Date().toISOString() }],
    },
  });
  let steps = 0;
  try {
    // It yields between episodes, so a stop message can arrive.
    const done = await collector.run((ep, i) => {
      // Named from (seed, index), as `oneiro collect` names them: the held-out split hashes file names, so the
      // clock-and-uuid default gave the same seed's episodes another split on every collection.
      const entry = addEpisode(ds, ep, { file: seededEpisodeName(ep, job.seed, i) });
      steps += entry.length - 1;
      onProgress({ episodesDone: i + 1, episodesTotal: job.episodes, steps });
    }, signal);
    if (done < job.episodes) throw new UserError(`collect into '${job.dataset}' was cancelled after ${done} episodes`);
    commitStagedDataset(job.workspace, job.dataset, staging);
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
}
