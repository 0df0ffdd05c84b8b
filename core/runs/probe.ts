import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadTensors, saveTensors } from '../data/safetensors-tf.ts';
import type { LoadedModel } from '../models/family.ts';
import { assignParams } from '../models/nn.ts';
import { ProbeDecoder, probeConfig, type ProbeConfig } from '../models/probe-decoder.ts';
import { writeJsonAtomic } from '../util/atomic-write.ts';
import { UserError } from '../util/errors.ts';
import { buildFeatureBank } from './feature-bank.ts';
import { openRunModel, type OpenedRun } from './load.ts';

/**
 * A run's probe decoder (core/models/probe-decoder.ts), kept in the run folder as its own checkpoint group,
 * `probe/probe.safetensors` + `probe/probe.json`, apart from the model's checkpoints: training it reads the
 * model's features and writes only here. It belongs to the model checkpoint it was trained on; after more
 * training the features move, so a probe of an older checkpoint is reported stale and not used.
 */
export interface ProbeMeta {
  version: 1;
  /** globalStep of the model checkpoint whose features it was trained on. */
  checkpointStep: number;
  featureSize: number;
  imageSize: number;
  config: ProbeConfig;
  frames: number;
  /** Pixel MSE (in [0,1]² units) over the last tenth of training. */
  loss: number;
  trained: string;
}

export const probeDir = (runDir: string) => join(runDir, 'probe');

export function readProbeMeta(runDir: string): ProbeMeta | null {
  const p = join(probeDir(runDir), 'probe.json');
  if (!existsSync(p)) return null;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as ProbeMeta;
  } catch {
    return null;
  }
}

/** Trains and stores the probe of the run's current checkpoint; the model's parameters are only read. */
export async function trainRunProbe(
  opened: OpenedRun,
  opts: { preset?: string; overrides?: Partial<ProbeConfig>; onStep?: (step: number, loss: number) => void } = {},
): Promise<ProbeMeta> {
  const cfg = probeConfig.resolveConfig(opts.preset ?? 'small', opts.overrides ?? {});
  const bank = buildFeatureBank(opened.model, opened.config, opened.dir, cfg.maxFrames);
  const probe = new ProbeDecoder(bank.dim, opened.model.imageSize, cfg.depth, opened.config.seed);
  try {
    const r = probe.train(bank.features, bank.frames, cfg, opened.config.seed, opts.onStep);
    const meta: ProbeMeta = {
      version: 1,
      checkpointStep: opened.checkpoint.globalStep,
      featureSize: bank.dim,
      imageSize: opened.model.imageSize,
      config: cfg,
      frames: bank.n,
      loss: r.loss,
      trained: new Date().toISOString(),
    };
    mkdirSync(probeDir(opened.dir), { recursive: true });
    await saveTensors(join(probeDir(opened.dir), 'probe.safetensors'), probe.tensors(), { format: 'oneiro-probe' });
    writeJsonAtomic(join(probeDir(opened.dir), 'probe.json'), meta);
    return meta;
  } finally {
    probe.dispose();
  }
}

/** Why the run's stored probe cannot be used with this model, or null when it can. */
export function probeProblem(meta: ProbeMeta | null, opened: OpenedRun): string | null {
  if (!meta) return `run ${opened.config.id} has no probe decoder: train one with \`oneiro probe ${opened.config.id}\``;
  if (meta.checkpointStep !== opened.checkpoint.globalStep)
    return `the probe decoder was trained on checkpoint step ${meta.checkpointStep}, the run is at step ${opened.checkpoint.globalStep}: retrain it (oneiro probe ${opened.config.id})`;
  if (meta.imageSize !== opened.model.imageSize)
    return `the probe decoder makes ${meta.imageSize}px frames, the model's are ${opened.model.imageSize}px: retrain it`;
  return null;
}

/** The stored probe for the run's current checkpoint; a UserError saying why when there is none usable. */
export function loadRunProbe(opened: OpenedRun, model: LoadedModel = opened.model): ProbeDecoder {
  const meta = readProbeMeta(opened.dir);
  const problem = probeProblem(meta, opened);
  if (problem || !meta) throw new UserError(problem!);
  const probe = new ProbeDecoder(meta.featureSize, model.imageSize, meta.config.depth, 0);
  const { tensors } = loadTensors(join(probeDir(opened.dir), 'probe.safetensors'));
  try {
    assignParams(probe.params, tensors);
  } catch (e) {
    probe.dispose();
    throw new UserError(`the probe decoder of run ${opened.config.id} does not fit its model: ${(e as Error).message}`);
  } finally {
    tf.dispose(Object.values(tensors));
  }
  return probe;
}

/** The probe preset that goes with a run's preset: a debug run gets the debug probe (seconds), others 'small'. */
export function probePresetFor(runPreset: string): string {
  return /debug/.test(runPreset) ? 'debug' : 'small';
}

/**
 * After a run finished training (the trainer worker, TrainJob.probe; on in the workbench): a model that decodes
 * no pixels gets its probe decoder trained on the final checkpoint, so the Dream Lab shows its dreams through it
 * without a manual `oneiro probe`. Runs in the trainer's process, never on the host's or the dream server's event
 * loop. Returns null, saying why on `log`, when there is nothing to probe (a decoder of its own, no latent view).
 */
export async function trainProbeAfterRun(
  runDir: string,
  opts: { backend?: string; log?: (line: string) => void } = {},
): Promise<ProbeMeta | null> {
  const log = opts.log ?? (() => {});
  const opened = await openRunModel(runDir, { ...(opts.backend ? { backend: opts.backend } : {}), warn: log });
  try {
    if (opened.model.pixels === 'decoder') return null;
    if (!opened.model.latent) {
      log(`no probe decoder: the ${opened.config.family} model exposes no latent view to decode`);
      return null;
    }
    const preset = probePresetFor(opened.config.preset);
    log(
      `the model decodes no pixels: training its probe decoder (preset ${preset}) on checkpoint step ${opened.checkpoint.globalStep}`,
    );
    const t0 = performance.now();
    const meta = await trainRunProbe(opened, { preset });
    log(
      `probe decoder trained: ${meta.config.steps} steps on ${meta.frames} frames, pixel MSE ${meta.loss.toFixed(5)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
    return meta;
  } finally {
    opened.model.dispose();
  }
}
