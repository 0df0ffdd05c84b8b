import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { hostname } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../tensor/backend.ts';
import { getFamily } from '../models/registry.ts';
import type { FamilyContext, ModelFamily, TrainData } from '../models/family.ts';
import { Rng } from '../util/rng.ts';
import { UserError } from '../util/errors.ts';
import { datasetExists, openDataset } from '../data/dataset.ts';
import {
  latestCheckpointName,
  loadNewestIntactCheckpoint,
  saveCheckpoint,
  type CheckpointPosition,
} from './checkpoints.ts';
import { resumePosition } from './run-steps.ts';
import { appendMetrics, truncateMetrics, type MetricsRecord } from './metrics.ts';
import { DEFAULT_REPLAY_CACHE_MB, loadTrainData } from './run-data.ts';
import { checkpointDreamStrip, DREAM_TAG, RunTensorBoard } from './tensorboard.ts';
import { checkMemoryFits } from '../models/memory.ts';
import { describeIssues } from '../models/preset-config.ts';
import { TrainedBehaviorSession } from './trained-behavior.ts';
import { AgentSession } from './agent-session.ts';
import { onlineTrainData } from './episode-store.ts';
import {
  DEFAULT_TRAIN,
  claimRunDir,
  readRunConfig,
  readStatus,
  runTrainSchema,
  writeRunConfig,
  writeStatus,
  type RunConfig,
  type RunState,
  type RunStatus,
  type RunTrainConfig,
} from './run-dir.ts';

/**
 * The shared run machinery: create a run folder, train it phase by phase with checkpoints, resume,
 * metrics, the divergence guard and a status file. Used by `oneiro train`, by trainer child processes
 * of the service, and by tests — every model family goes through it.
 */
export interface CreateRunOptions {
  workspace: string;
  family: string;
  preset: string;
  dataset: string | null;
  /** Built-in env (online families); for dataset runs it is taken from the dataset. */
  env?: string | null;
  seed?: number;
  /** Overrides deep-merged onto the preset (validated by the family). */
  overrides?: unknown;
  /** `--steps N` as the family interprets it. */
  steps?: number;
  train?: Partial<RunTrainConfig>;
  /** Backend to record; defaults to the one initialised now (initBackend). */
  backend?: string;
  id?: string;
  /** The run this one starts from (RunConfig.source.from; core/runs/seed-from.ts writes its first checkpoint). */
  from?: NonNullable<RunConfig['source']['from']>;
}

export async function createRun(opts: CreateRunOptions): Promise<{ id: string; dir: string; config: RunConfig }> {
  const family = await getFamily(opts.family);
  let model = family.resolveConfig(opts.preset, opts.overrides);
  if (opts.steps !== undefined) model = family.withSteps(model, opts.steps);
  let env = opts.env ?? null;
  if (opts.dataset !== null) {
    if (!datasetExists(opts.workspace, opts.dataset)) openDataset(opts.workspace, opts.dataset); // throws the helpful error
    env = env ?? openDataset(opts.workspace, opts.dataset).meta.env;
  }
  const train = runTrainSchema.safeParse({ ...DEFAULT_TRAIN, ...opts.train });
  if (!train.success) throw new UserError(`invalid run settings: ${describeIssues(train.error.issues, opts.train)}`);
  const backend = opts.backend ?? (await initBackend()).name;
  // Refused before a run folder exists: a config that cannot fit leaves nothing behind.
  checkMemoryFits(opts.family, opts.preset, family.estimateMemory(model), backend);
  const { id, dir } = claimRunDir(opts.workspace, opts.family, opts.id);
  const config: RunConfig = {
    id,
    family: opts.family,
    preset: opts.preset,
    seed: opts.seed ?? 0,
    backend,
    created: new Date().toISOString(),
    source: { dataset: opts.dataset, env, ...(opts.from ? { from: opts.from } : {}) },
    train: train.data,
    model,
  };
  try {
    writeRunConfig(dir, config);
    writeStatus(dir, { state: 'created', phase: null, step: 0, totalSteps: 0, pid: null, backend });
  } catch (e) {
    // A claimed folder with no config would list as a broken run forever (listRuns shows it as '?').
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return { id, dir, config };
}

export interface TrainEvents {
  signal?: AbortSignal;
  /** Write a checkpoint when stopped by the signal (default true; false simulates a kill). */
  checkpointOnStop?: boolean;
  onMetrics?(rec: MetricsRecord): void;
  onCheckpoint?(info: { path: string; step: number; phase: string }): void;
  onStatus?(status: RunStatus): void;
  /** Called before each step (progress bars). */
  onStep?(info: {
    phase: string;
    step: number;
    phaseSteps: number;
    globalStep: number;
    totalSteps: number;
    /** The phase's headline metric (PhaseSpec.headline), for progress bars. */
    headline: string;
  }): void;
  log?(msg: string): void;
  /** Force a backend (else the run's own). */
  backend?: string;
  /** Global step indices whose loss is turned into NaN (divergence-guard tests). */
  poisonSteps?: number[];
  /** Episodes to use instead of loading the run's dataset (tests, online families). */
  data?: TrainData;
  /** TensorBoard event files in the run folder: scalars and the dream strip at checkpoints (default true). */
  tensorboard?: boolean;
  /**
   * Asked before each checkpoint write; false means another process now owns the run (a queue job
   * whose lock this worker lost): the runner then stops without writing anything more.
   */
  beforeCheckpoint?(): Promise<boolean>;
}

/** Thrown inside the runner when beforeCheckpoint says the run is no longer ours. */
class LeaseLost extends Error {}

export interface TrainResult {
  state: RunState;
  step: number;
  totalSteps: number;
  message?: string;
}

/** Seed of a step's Rng from (run seed, phase index, step) alone (splitmix-style integer hash). */
export function stepSeed(seed: number, phaseIndex: number, step: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const v of [phaseIndex + 1, step + 1]) {
    h = Math.imul(h ^ v, 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
  }
  return h;
}

export async function trainRun(runDir: string, ev: TrainEvents = {}): Promise<TrainResult> {
  const config = readRunConfig(runDir);
  const family: ModelFamily<unknown> = await getFamily(config.family);
  const model = family.parseConfig(config.model);
  const backend = (await initBackend(ev.backend ?? config.backend)).name;
  // Again on the backend actually used (a resume may run on another one).
  checkMemoryFits(config.family, config.preset, family.estimateMemory(model), backend);
  const log = ev.log ?? (() => {});
  const signal = ev.signal ?? new AbortController().signal;
  const data = ev.data ?? loadDataForRun(config, runDir, family, model, { stream: family.samplesReplay === true });
  const ctx: FamilyContext<unknown> = { config: model, seed: config.seed, data, runDir, log };
  const inner = await family.createSession(ctx);
  const settings = family.agentSettings?.(model) ?? null;
  const session = settings
    ? new AgentSession(inner, settings, {
        seed: config.seed,
        data,
        runDir,
        heldOutFraction: config.train.heldOutFraction,
        log,
      })
    : new TrainedBehaviorSession(inner, { env: data.env, data, seed: config.seed, log });
  const phases = session.phases;
  const totalSteps = phases.reduce((n, p) => n + p.steps, 0);
  const poison = new Set(ev.poisonSteps ?? []);
  let pos: CheckpointPosition = { phaseIndex: 0, phase: phases[0]?.name ?? '', step: 0, globalStep: 0 };
  let last: Record<string, number> = {};
  let tb: RunTensorBoard | null = null;
  const logMetrics = (rec: MetricsRecord) => {
    appendMetrics(runDir, rec);
    tb?.metrics(rec);
    ev.onMetrics?.(rec);
  };

  const status = (state: RunState, message?: string) => {
    const s = writeStatus(runDir, {
      state,
      phase: pos.phase,
      step: pos.globalStep,
      totalSteps,
      pid: process.pid,
      host: hostname(),
      backend,
      ...(message ? { message } : {}),
      last,
    });
    ev.onStatus?.(s);
    return s;
  };
  const checkpoint = async () => {
    if (ev.beforeCheckpoint && !(await ev.beforeCheckpoint())) throw new LeaseLost();
    const ck = session.checkpoint();
    let path: string;
    try {
      path = await saveCheckpoint(
        runDir,
        { ...pos, family: config.family, runId: config.id, backend, state: ck.state },
        ck.tensors,
        config.train.keepCheckpoints,
      );
      if (tb) {
        const png = await checkpointDreamStrip(family, ctx, ck, log);
        if (png) tb.image(DREAM_TAG, pos.globalStep, png);
      }
    } finally {
      tf.dispose(ck.owned ?? []);
    }
    ev.onCheckpoint?.({ path, step: pos.globalStep, phase: pos.phase });
  };

  // A run seeded from another's checkpoint (seed-from.ts) that has not trained yet starts there rather than resumes.
  const seeded = config.source.from && readStatus(runDir)?.state === 'created' ? config.source.from : null;
  try {
    const resumed = loadNewestIntactCheckpoint(runDir, (m) => log(`warning: ${m}`));
    if (resumed) {
      try {
        session.restore({ tensors: resumed.tensors, state: resumed.meta.state });
      } finally {
        tf.dispose(Object.values(resumed.tensors));
      }
      // A finished phase whose budget grew since (setRunSteps) is reopened at the step it stopped at.
      const { phaseIndex, phase, step, globalStep } = resumePosition(phases, resumed.meta);
      pos = { phaseIndex, phase, step, globalStep };
      truncateMetrics(runDir, globalStep);
      log(
        seeded
          ? `starting ${config.id} at ${phase} step ${step} (${globalStep}/${totalSteps}) from run ${seeded.run}'s ${seeded.checkpoint}`
          : phaseIndex !== resumed.meta.phaseIndex
            ? `reopening ${config.id} at ${phase} step ${step}: its budget is now ${phases[phaseIndex].steps} (${globalStep}/${totalSteps})`
            : `resuming ${config.id} at ${phase} step ${step} (${globalStep}/${totalSteps})`,
      );
    } else {
      // A start from scratch drops what an earlier attempt logged before its first checkpoint (a trainer
      // killed early, a queue job handed to another worker), so metrics.jsonl reads as one run.
      truncateMetrics(runDir, 0);
    }
    if (ev.tensorboard !== false) tb = new RunTensorBoard(runDir, pos.globalStep);
    status('running');
    let bad = 0;
    let lastYield = performance.now();
    while (pos.phaseIndex < phases.length) {
      const spec = phases[pos.phaseIndex];
      pos.phase = spec.name;
      await session.beginPhase(spec.name, signal);
      let t0 = performance.now();
      let items = 0;
      let sinceLog = 0;
      for (; pos.step < spec.steps;) {
        if (signal.aborted) {
          if (ev.checkpointOnStop !== false) await checkpoint();
          const s = status('paused', 'stopped by request');
          return { state: s.state, step: pos.globalStep, totalSteps, message: s.message };
        }
        // Steps are synchronous compute: hand the event loop a turn every ~50 ms so stop/pause messages,
        // signals (Ctrl-C) and IPC are seen between steps instead of after the run.
        if (performance.now() - lastYield > 50) {
          await new Promise<void>((r) => setImmediate(r));
          lastYield = performance.now();
          if (signal.aborted) continue;
        }
        ev.onStep?.({
          phase: spec.name,
          step: pos.step,
          phaseSteps: spec.steps,
          globalStep: pos.globalStep,
          totalSteps,
          headline: spec.headline,
        });
        const rng = new Rng(stepSeed(config.seed, pos.phaseIndex, pos.step));
        const rep = await session.step({
          phase: spec.name,
          step: pos.step,
          globalStep: pos.globalStep,
          rng,
          poison: poison.has(pos.globalStep),
          signal,
        });
        pos.step += 1;
        pos.globalStep += 1;
        items += rep.items;
        sinceLog += 1;
        if (!rep.applied) {
          bad += 1;
          const rec = record(pos, { [`${spec.name}/skipped`]: 1, [`${spec.name}/bad_in_a_row`]: bad });
          rec.reason = rep.reason ?? 'non-finite update';
          logMetrics(rec);
          log(`step ${pos.globalStep} skipped: ${rec.reason}`);
          if (bad >= config.train.maxBadSteps) {
            const ck = latestCheckpointName(runDir);
            const msg =
              `diverged: ${bad} steps in a row had a non-finite loss or gradient (last: ${rec.reason}) at ${spec.name} step ${pos.step}; ` +
              (ck
                ? // Not "resume": every step's randomness is fixed by (seed, phase, step), so the same config diverges
                  // again at the same step; a resume keeps its config.
                  `the last good checkpoint is intact (${ck}) — start a new run with a lower learning rate (--set), or check the data`
                : 'no checkpoint had been written yet — start again with a lower learning rate or check the data');
            status('failed', msg);
            return { state: 'failed', step: pos.globalStep, totalSteps, message: msg };
          }
          continue;
        }
        bad = 0;
        const done = pos.step === spec.steps;
        if (sinceLog >= config.train.logEvery || done) {
          const secs = (performance.now() - t0) / 1000;
          const m: Record<string, number> = {};
          for (const [k, v] of Object.entries(rep.metrics)) m[`${spec.name}/${k}`] = v;
          m.fps = items / Math.max(secs, 1e-9);
          m.steps_per_sec = sinceLog / Math.max(secs, 1e-9);
          const rec = record(pos, m);
          last = m;
          logMetrics(rec);
          t0 = performance.now();
          items = 0;
          sinceLog = 0;
        }
        if (pos.globalStep % config.train.checkpointEvery === 0 && !done) {
          await checkpoint();
          status('running');
        }
      }
      const summary = await session.endPhase(spec.name, signal);
      if (Object.keys(summary).length) {
        const m: Record<string, number> = {};
        for (const [k, v] of Object.entries(summary)) m[`${spec.name}/${k}`] = v;
        logMetrics(record(pos, m));
      }
      // Phase boundary: the checkpoint points at the next phase's first step.
      const next = phases[pos.phaseIndex + 1];
      pos = { phaseIndex: pos.phaseIndex + 1, phase: next?.name ?? 'done', step: 0, globalStep: pos.globalStep };
      await checkpoint();
      status('running');
    }
    pos.phase = 'done';
    const s = status('completed');
    return { state: s.state, step: pos.globalStep, totalSteps };
  } catch (e) {
    if (e instanceof LeaseLost) {
      const message = 'the job lock was lost (another worker owns the run): stopped without writing';
      log(message);
      return { state: 'paused', step: pos.globalStep, totalSteps, message };
    }
    const msg = (e as Error).message;
    status('crashed', msg.split('\n')[0].slice(0, 500));
    throw e;
  } finally {
    session.dispose();
  }
}

function record(pos: CheckpointPosition, m: Record<string, number>): MetricsRecord {
  return { step: pos.globalStep, phase: pos.phase, time: new Date().toISOString(), ...m };
}

/** The run folder is `<workspace>/runs/<id>`, so its dataset is found relative to it. */
export function loadDataForRun(
  config: RunConfig,
  runDir: string,
  family?: ModelFamily<unknown>,
  model?: unknown,
  opts: { stream?: boolean } = {},
): TrainData {
  if (!config.source.dataset) {
    const s =
      config.source.env && family?.trainsOnline
        ? family.agentSettings?.(model ?? family.parseConfig(config.model))
        : null;
    // An online run: the runner collects the episodes (kept in the run folder, so resume is exact).
    if (config.source.env && s) return onlineTrainData(config.source.env, s.imageSize);
    throw new UserError(`run ${config.id} has no dataset and family '${config.family}' cannot train online`);
  }
  const stream = opts.stream
    ? { cacheBytes: (config.train.replayCacheMB ?? DEFAULT_REPLAY_CACHE_MB) * 2 ** 20 }
    : undefined;
  return loadTrainData(
    resolve(runDir, '..', '..'),
    config.source.dataset,
    config.train.heldOutFraction,
    undefined,
    stream,
  );
}
