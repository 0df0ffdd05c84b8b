import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CollectJob } from './protocol.ts';
import { getEnvSpec } from '../envs/registry.ts';
import { episodeCollector } from '../agents/collect-episodes.ts';
import {
  addEpisode,
  commitStagedDataset,
  createDatasetAt,
  datasetDir,
  datasetsDir,
  openDataset,
  updateDatasetMeta,
  type Dataset,
} from '../data/dataset.ts';
import { appendMismatch, type Collection } from '../data/dataset-append.ts';
import { runDirOf } from '../runs/run-dir.ts';
import type { RunPolicy } from '../runs/run-policy.ts';
import { seededEpisodeName } from '../data/episode-file.ts';
import { UserError } from '../util/errors.ts';

/**
 * A collect job in a worker process: a random policy's or a trained run's agent's rollouts (core/agents/
 * collect-episodes.ts, as `oneiro collect`) from a built-in env into a new dataset, written to a staging folder and
 * moved into place at the end (the dataset appears whole or not at all), or with `append` into an existing one. Runs out of the host so a long collection never stalls the UI.
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
  const exists = existsSync(datasetDir(job.workspace, job.dataset));
  if (exists && !job.append)
    throw new UserError(
      `dataset '${job.dataset}' already exists in ${datasetsDir(job.workspace)}; choose another name, or add the episodes to it`,
    );
  // openDataset names the datasets there are.
  if (job.append && !exists) openDataset(job.workspace, job.dataset);
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
    : // The service's built-in policies act at the env's own repeat over its plain background, recorded as the CLI does.
      { policy: job.policy, size, actionRepeat: spec.defaults.actionRepeat, background: 'plain' };
  const made = { env: spec.name, observationShape: env.observationShape, actionSpace: env.actionSpace };
  const run = { ...record, seed: job.seed, episodes: job.episodes, at: new Date().toISOString() };
  if (job.append) {
    await appendTo(job, made, run, spec.defaults.actionRepeat, collector, signal, onProgress);
    return;
  }
  const staging = join(datasetsDir(job.workspace), `.staging-${job.dataset}-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  const ds = createDatasetAt(staging, job.dataset, {
    ...made,
    source: { kind: 'collect', env: spec.name, runs: [run] },
  });
  try {
    const done = await collectInto(ds, job, collector, signal, onProgress);
    if (done < job.episodes) throw new UserError(`collect into '${job.dataset}' was cancelled after ${done} episodes`);
    commitStagedDataset(job.workspace, job.dataset, staging);
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Adds the episodes to an existing dataset in place, as `oneiro collect` into an existing one does: each episode
 * lands whole (its file, then dataset.json, each atomically), so a stopped append keeps the episodes before it and
 * its collection run records how many those were. The dataset must fit (dataset-append.ts, the CLI's rule).
 */
async function appendTo(
  job: CollectJob,
  made: Pick<Collection, 'env' | 'observationShape' | 'actionSpace'>,
  run: { actionRepeat?: number; background?: string; backgroundSource?: string; episodes: number },
  envRepeat: number,
  collector: ReturnType<typeof episodeCollector>,
  signal: AbortSignal,
  onProgress: (p: CollectProgress) => void,
): Promise<void> {
  const ds = openDataset(job.workspace, job.dataset);
  const collection = {
    ...made,
    actionRepeat: run.actionRepeat ?? envRepeat,
    background: run.background ?? 'plain',
    backgroundSource: run.backgroundSource ?? null,
  };
  const why = appendMismatch(ds.meta, collection, envRepeat);
  if (why) throw new UserError(`${why.message}; collect into a new dataset instead`);
  const runs = [...((ds.meta.source.runs as unknown[] | undefined) ?? []), run];
  updateDatasetMeta(ds, { source: { ...ds.meta.source, runs } });
  const done = await collectInto(ds, job, collector, signal, onProgress);
  if (done < job.episodes) {
    runs[runs.length - 1] = { ...run, episodes: done };
    updateDatasetMeta(ds, { source: { ...ds.meta.source, runs } });
    throw new UserError(`adding to '${job.dataset}' was cancelled after ${done} episodes; those stay in it`);
  }
}

/** Runs the collector into `ds`, episode by episode; returns how many were collected (fewer when stopped). */
async function collectInto(
  ds: Dataset,
  job: CollectJob,
  collector: ReturnType<typeof episodeCollector>,
  signal: AbortSignal,
  onProgress: (p: CollectProgress) => void,
): Promise<number> {
  const first = ds.meta.episodes.length;
  let steps = 0;
  // It yields between episodes, so a stop message can arrive.
  return collector.run((ep, i) => {
    // Named from (seed, index in the dataset), as `oneiro collect` names them: the held-out split hashes file
    // names, so the clock-and-uuid default gave the same seed's episodes another split on every collection.
    const entry = addEpisode(ds, ep, { file: seededEpisodeName(ep, job.seed, first + i) });
    steps += entry.length - 1;
    onProgress({ episodesDone: i + 1, episodesTotal: job.episodes, steps });
  }, signal);
}
