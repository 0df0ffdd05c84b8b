import { resolve } from 'node:path';
import type { EvalMetric, LoadedModel, OpenLoopFilter, TrainData } from '../models/family.ts';
import { openRunModel } from './load.ts';
import { isUserError, UserError } from '../util/errors.ts';
import { dataEnvOptions } from './data-env.ts';
import { openDataset, readEpisode } from '../data/dataset.ts';
import type { Episode } from '../data/episode.ts';
import {
  DEFAULT_OPENLOOP_FILTER,
  measureOpenLoop,
  trainingMeanFrame,
  trainingMeanReward,
} from './openloop-measures.ts';
import { measureStateProbe } from './state-probe.ts';
import { envStateSpec } from './probe-targets.ts';
import type { ProbeCalibrationBin } from '../contract/channels.ts';
import { scoreTrainedBehavior } from './trained-behavior.ts';

/**
 * `oneiro eval --json` output: every metric with its baselines (README "Evaluation"), and notes on what could
 * not be measured and why (e.g. no true state in the episodes).
 */
export interface EvalReport {
  run: string;
  episodes: number;
  checkpoint_step: number;
  /** With `--average-checkpoints`: the steps whose weights were averaged (checkpoint_step is the newest of them). */
  averaged_checkpoints?: number[];
  metrics: Record<string, EvalMetric>;
  /** Per state-probe target: its read against the true value in bins (probe-calibration.ts); absent without a state. */
  probe_calibration?: Record<string, ProbeCalibrationBin[]>;
  /**
   * Where every open-loop measure filtered from before its dream (OpenLoopFilter): 'episode' = the episode's first
   * frame (the default), N = the N real frames ending at the dream's start (reports before session 11: 5).
   */
  openloop_context: OpenLoopFilter;
  /** Share of the held-out dreamed frames' pixels in the foreground (null when nothing was dreamed). */
  foreground_fraction: number | null;
  notes: string[];
}

/**
 * The family's own metrics plus the measures every family reports (core/runs/openloop-measures.ts: pixel
 * errors against copy-last-frame and the training mean frame, foreground-weighted, reward against shuffled
 * actions; core/runs/state-probe.ts: the linear state probe).
 */
export async function evaluateModel(
  model: LoadedModel,
  data: TrainData,
  opts: { seed: number; filter?: OpenLoopFilter; samples?: number },
): Promise<Omit<EvalReport, 'run' | 'checkpoint_step'>> {
  const filter = opts.filter ?? DEFAULT_OPENLOOP_FILTER;
  const metrics = {
    ...(await model.evaluate(data.heldOut, { seed: opts.seed, trainEpisodes: data.train, filter })),
  };
  const notes: string[] = [];
  // A behaviour the family trained itself (World Models' controller) is scored in the env the data came from.
  const tb = model.trainedBehavior?.() ?? null;
  if (tb && model.latent) {
    if (!data.env) notes.push(`${tb.kind}: the dataset names no built-in env, so its real-env return is not measured`);
    else {
      const wm = model.latent();
      const envOpts = await dataEnvOptions(wm.imageSize, data).catch((e: unknown) => {
        if (!isUserError(e)) throw e;
        notes.push(`${tb.kind}: its real-env return is not measured: ${e.message}`);
        return null;
      });
      if (envOpts) {
        const s = scoreTrainedBehavior(data.env, wm, tb, 2_000_000 + opts.seed, envOpts);
        metrics[`${tb.kind}_return`] = {
          model: s.real_return,
          baseline: s.random_return,
          baseline_name: 'random-policy',
          lower_is_better: false,
        };
      }
    }
  }
  let foreground: number | null = null;
  // An online run has no dataset split: the episodes it collected are its training data and its evaluation data.
  const online = data.dataset === null && data.train.length === 0 && data.heldOut.length > 0;
  const train = online ? data.heldOut : data.train;
  if (online)
    notes.push('online run: its collected episodes serve as both training and evaluation data for these measures');
  const mean = trainingMeanFrame(train, model.imageSize);
  if (!mean) notes.push('no training frames: no mean-frame baseline, no pixel measures');
  else if (model.pixels !== 'decoder' && !model.latent)
    notes.push(
      'the model decodes no pixels: no open-loop measures (its state probe below reads its features; `oneiro dream --view probe` shows it)',
    );
  else {
    // Without pixels (pixels 'none') the open loop runs through the latent view: reward measures only (noted).
    const ol = await measureOpenLoop(model, data.heldOut, mean, {
      seed: opts.seed,
      meanReward: trainingMeanReward(train),
      filter,
      ...(opts.samples ? { samples: opts.samples } : {}),
    });
    Object.assign(metrics, ol.metrics);
    notes.push(...ol.notes);
    foreground = Number.isFinite(ol.foregroundFraction) ? ol.foregroundFraction : null;
  }
  const probe = await measureStateProbe(model, train, data.heldOut, {
    seed: opts.seed,
    ...envStateSpec(data.env),
    filter,
  });
  Object.assign(metrics, probe.metrics);
  notes.push(...probe.notes);
  return {
    episodes: data.heldOut.length,
    openloop_context: filter,
    metrics,
    ...(Object.keys(probe.calibration).length ? { probe_calibration: probe.calibration } : {}),
    foreground_fraction: foreground,
    notes,
  };
}

/**
 * Evaluates a run's latest checkpoint (or the kept one at global step `checkpoint`) on its held-out episodes
 * through its family, or on every episode of another dataset of the workspace (`evalDataset`: e.g. C-SWM's
 * separate evaluation set) with the same env, frames and actions.
 */
export async function evaluateRun(
  runDir: string,
  opts: {
    seed?: number;
    backend?: string;
    evalDataset?: string;
    filter?: OpenLoopFilter;
    checkpoint?: number;
    /** Score the mean of the kept checkpoints at these steps instead (core/runs/checkpoint-average.ts). */
    average?: number[];
    /** Also score the dream's predictive mean over this many samples (openloop_predmean_*). */
    samples?: number;
  } = {},
): Promise<EvalReport> {
  const r = await openRunModel(runDir, {
    ...(opts.backend ? { backend: opts.backend } : {}),
    ...(opts.checkpoint !== undefined ? { checkpoint: opts.checkpoint } : {}),
    ...(opts.average ? { average: opts.average } : {}),
  });
  try {
    if (opts.evalDataset) r.data = { ...r.data, heldOut: evalDatasetEpisodes(runDir, r.data, opts.evalDataset) };
    if (r.data.heldOut.length === 0)
      throw new UserError(
        `run ${r.config.id} has no held-out episodes yet (${r.data.train.length} trained on): episodes are held out by a hash of their id at fraction ${r.config.train.heldOutFraction} (an online run also keeps one dedicated held-out episode, unless the fraction is 0); collect more, or train with a larger held-out fraction`,
      );
    const rest = await evaluateModel(r.model, r.data, {
      seed: opts.seed ?? 0,
      ...(opts.filter !== undefined ? { filter: opts.filter } : {}),
      ...(opts.samples ? { samples: opts.samples } : {}),
    });
    return {
      run: r.config.id,
      checkpoint_step: r.checkpoint.globalStep,
      ...(opts.average ? { averaged_checkpoints: opts.average } : {}),
      ...rest,
    };
  } finally {
    r.model.dispose();
  }
}

/** Every episode of a dataset in the run's workspace, refused (one line) when it does not match the run's data. */
function evalDatasetEpisodes(runDir: string, data: TrainData, name: string): Episode[] {
  const ds = openDataset(resolve(runDir, '..', '..'), name);
  const m = ds.meta;
  const size = m.observationShape[0];
  if (JSON.stringify(m.actionSpace) !== JSON.stringify(data.actionSpace) || size !== data.imageSize)
    throw new UserError(
      `--dataset ${name}: its frames (${m.observationShape.join('×')}) or actions (${JSON.stringify(m.actionSpace)}) differ from the run's data (${data.imageSize}×${data.imageSize}, ${JSON.stringify(data.actionSpace)}): evaluate on a dataset collected from the same env at the same size`,
    );
  return m.episodes.map((_, i) => readEpisode(ds, i));
}
