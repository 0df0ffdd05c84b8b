/**
 * Issue 11 item 2's budget question (how many steps does `small` need?) answered in one run: train, and at every
 * checkpoint evaluate what is on disk, in the same process, with a model of its own loaded from the checkpoint
 * file. The trainer's session is never touched, so its weights follow the same path as a run without evals
 * (test/unit/scripts/eval-along.test.ts compares them bit for bit); each row records the training wall and CPU
 * time up to its checkpoint, with the time spent evaluating taken out.
 */
import { loadavg } from 'node:os';
import { metricRatio } from '../core/contract/eval-ratio.ts';
import { listCheckpoints } from '../core/runs/checkpoints.ts';
import { evaluateRun, type EvalReport } from '../core/runs/evaluate.ts';
import { trainRun, type TrainResult } from '../core/runs/trainer.ts';

/**
 * Issue 11 item 2's targets per env: the probe's R² on these state variables after filtering. Car-racing's
 * "position and heading" are scored relative to the track (the env's `track offset` and `heading to track`) — our
 * departure from the issue's wording: the view follows and turns with the car, so that is the pose a frame shows.
 * The absolute pose is set by where each random track starts (98–99 % of x's variance between episodes, session 9);
 * the pose since the episode's start is a dead-reckoning integral over up to 300 steps (150 episodes, 11 held out,
 * session 11: World Models R² 0.34 / 0.61 / −0.58 / 0.88 on x, y, cos, sin from start). Both are still reported.
 */
export const PROBE_TARGETS = {
  'cartpole-swingup': ['cart position', 'cos pole angle', 'sin pole angle'],
  'car-racing': ['track offset', 'cos heading to track', 'sin heading to track'],
} as const;
export type MeasureEnv = keyof typeof PROBE_TARGETS;
export const MEASURE_ENVS = Object.keys(PROBE_TARGETS) as MeasureEnv[];
export const R2_TARGET = 0.8;
/** fg@10 at most this share of the mean frame's. */
export const FG_RATIO_TARGET = 0.5;

export interface EvalRow {
  step: number;
  /** Training wall time up to this checkpoint, evaluation time excluded. */
  trainMin: number;
  /** Process CPU time (user + system, all threads) of training up to this checkpoint, evaluation excluded. */
  trainCpuMin: number;
  /** 1-minute load average when the checkpoint was written. */
  load: number;
  /** Wall and CPU time of this row's evaluation. */
  evalMin: number;
  evalCpuMin: number;
  report: EvalReport;
}

/** What a row says about the targets (numbers NaN when the report lacks them). */
export function rowVerdict(
  report: EvalReport,
  env: MeasureEnv = 'cartpole-swingup',
): {
  fg: number;
  fgMeanFrame: number;
  /** 95 % interval of fg / fgMeanFrame over the held-out episodes (the metric's ratio_ci95; NaN when absent). */
  fgRatioCi: [number, number];
  fullOk: boolean;
  r2: number[];
  r2Random: number[];
  fgOk: boolean;
  r2Ok: boolean;
  met: boolean;
} {
  const m = report.metrics;
  const fgM = m['openloop_fg_mse@10'];
  const full = m['openloop_mse@10'];
  const fg = fgM?.model ?? NaN;
  const fgMeanFrame = fgM?.baselines?.['mean-frame'] ?? NaN;
  const ratio = fgM ? metricRatio(fgM) : null;
  const fgRatioCi: [number, number] =
    ratio?.baseline === 'mean-frame' ? [ratio.lo ?? NaN, ratio.hi ?? NaN] : [NaN, NaN];
  // A uniform grey dream beats the mean frame on the foreground alone (the background colour is far from the
  // objects'), so the foreground target only counts when the full-frame error is not worse than the mean frame's.
  const fullOk = !!full && full.model <= (full.baselines?.['mean-frame'] ?? NaN);
  const r2 = PROBE_TARGETS[env].map((k) => m[`probe_r2/${k}@0`]?.model ?? NaN);
  const r2Random = PROBE_TARGETS[env].map((k) => m[`probe_r2/${k}@0`]?.baselines?.['random-init model'] ?? NaN);
  const fgOk = fg <= FG_RATIO_TARGET * fgMeanFrame && fullOk;
  const r2Ok = r2.every((x) => x >= R2_TARGET);
  return { fg, fgMeanFrame, fgRatioCi, fullOk, r2, r2Random, fgOk, r2Ok, met: fgOk && r2Ok };
}

/**
 * "0.61 [0.52, 0.70]": fg@10 / mean-frame and its 95 % interval over the held-out episodes — a ratio that moves
 * between checkpoints inside the interval may be the episodes' noise, not the model — or the ratio alone when the
 * report has no interval (reports before session 19).
 */
export function fgRatioText(v: { fg: number; fgMeanFrame: number; fgRatioCi: [number, number] }): string {
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '—');
  const [lo, hi] = v.fgRatioCi;
  const ci = Number.isFinite(lo) || Number.isFinite(hi) ? ` [${f(lo)}, ${f(hi)}]` : '';
  return `${f(v.fg / v.fgMeanFrame)}${ci}`;
}

export interface TrainWithEvalsOptions {
  /** Stop training after this much training wall time (evaluation time not counted). */
  minutes?: number;
  backend?: string;
  log?: (msg: string) => void;
  onRow?: (row: EvalRow) => void;
  /** Evaluate only checkpoints at multiples of this step (default: every checkpoint); the last one always. */
  evalEvery?: number;
  /** How a checkpoint is evaluated (default: evaluateRun on the run's newest checkpoint). */
  evaluate?: (runDir: string) => Promise<EvalReport>;
}

/**
 * Trains the run to its end (or the time budget), evaluating each checkpoint once: the previous one just before
 * the trainer writes the next (the trainer awaits that hook, so training waits), the last one after training.
 * The run's checkpointEvery sets the evaluation interval.
 */
export async function trainWithEvals(
  runDir: string,
  opts: TrainWithEvalsOptions = {},
): Promise<{ result: TrainResult; rows: EvalRow[]; trainMin: number; stoppedByBudget: boolean }> {
  const evaluate = opts.evaluate ?? ((dir: string) => evaluateRun(dir, opts.backend ? { backend: opts.backend } : {}));
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let evalWallMs = 0;
  let evalCpuUs = 0;
  const trainWallMin = () => (performance.now() - t0 - evalWallMs) / 60000;
  const trainCpuMin = () => {
    const c = process.cpuUsage(c0);
    return (c.user + c.system - evalCpuUs) / 60e6;
  };
  // Training time and load at each checkpoint, recorded when it is written (evaluated later).
  const atCheckpoint = new Map<number, { trainMin: number; trainCpuMin: number; load: number }>();
  const evaluated = new Set<number>();
  const rows: EvalRow[] = [];
  const evalNewest = async (last: boolean) => {
    const newest = listCheckpoints(runDir).at(-1);
    if (!newest || evaluated.has(newest.globalStep)) return;
    if (!last && opts.evalEvery !== undefined && newest.globalStep % opts.evalEvery !== 0) return;
    evaluated.add(newest.globalStep);
    const w = performance.now();
    const c = process.cpuUsage();
    const report = await evaluate(runDir);
    const dc = process.cpuUsage(c);
    const dw = performance.now() - w;
    evalWallMs += dw;
    evalCpuUs += dc.user + dc.system;
    const at = atCheckpoint.get(report.checkpoint_step);
    if (!at) throw new Error(`checkpoint step ${report.checkpoint_step} was not written by this training`);
    const row = {
      step: report.checkpoint_step,
      ...at,
      evalMin: dw / 60000,
      evalCpuMin: (dc.user + dc.system) / 60e6,
      report,
    };
    rows.push(row);
    opts.onRow?.(row);
  };
  const budget = new AbortController();
  const result = await trainRun(runDir, {
    signal: budget.signal,
    tensorboard: false,
    ...(opts.backend ? { backend: opts.backend } : {}),
    ...(opts.log ? { log: opts.log } : {}),
    onStep: () => {
      if (opts.minutes !== undefined && trainWallMin() >= opts.minutes) budget.abort();
    },
    beforeCheckpoint: async () => {
      await evalNewest(false);
      return true;
    },
    onCheckpoint: ({ step }) => {
      atCheckpoint.set(step, { trainMin: trainWallMin(), trainCpuMin: trainCpuMin(), load: loadavg()[0] });
    },
  });
  const trainMin = trainWallMin();
  await evalNewest(true);
  return { result, rows, trainMin, stoppedByBudget: budget.signal.aborted };
}

/** The first row meeting every target, or null. */
export function firstMet(rows: EvalRow[], env: MeasureEnv = 'cartpole-swingup'): EvalRow | null {
  return rows.find((r) => rowVerdict(r.report, env).met) ?? null;
}

/** The checkpoints' table (markdown), one row per evaluation. */
export function formatRows(rows: EvalRow[], env: MeasureEnv = 'cartpole-swingup'): string {
  const f = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '—');
  const lines = [
    `| step | train min | train CPU min | s/step | load | fg@10 model | mean-frame | ratio [95 %] | full ≤ mean | R² ${PROBE_TARGETS[env].join(' / ')} | random-init R² | met |`,
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const v = rowVerdict(r.report, env);
    lines.push(
      `| ${r.step} | ${f(r.trainMin, 1)} | ${f(r.trainCpuMin, 1)} | ${f((r.trainMin * 60) / Math.max(r.step, 1), 2)} | ${f(r.load, 1)} | ${f(v.fg, 4)} | ${f(v.fgMeanFrame, 4)} | ${fgRatioText(v)} | ${v.fullOk ? 'yes' : 'no'} | ${v.r2.map((x) => f(x, 2)).join(' / ')} | ${v.r2Random.map((x) => f(x, 2)).join(' / ')} | ${v.met ? 'yes' : 'no'} |`,
    );
  }
  return lines.join('\n');
}
