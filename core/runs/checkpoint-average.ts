import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../util/errors.ts';
import {
  lastTrainedPhase,
  loadCheckpointAtStep,
  type CheckpointPosition,
  type LoadedCheckpoint,
} from './checkpoints.ts';

/**
 * Weight averaging of a run's kept checkpoints, for evaluation (`oneiro eval --average-checkpoints`). At a constant
 * learning rate a run's weights wander around a basin rather than settle, so its checkpoints' scores swing from one
 * to the next (the RSSM's 10-step dream on cartpole: 0.49–0.70 of the mean frame's error from step 1200 to 2400,
 * docs/results/small-presets.md); the mean of snapshots along one run sits nearer the basin's
 * centre (stochastic weight averaging: Izmailov et al. 2018, "Averaging Weights Leads to Wider Optima and Better
 * Generalization", which averages snapshots of a constant- or cyclic-LR run). Every float tensor of the checkpoints is
 * averaged (optimiser moments too: evaluation reads none of them); any other tensor must be the same in all of them.
 */

const phaseLabel = (m: CheckpointPosition) => (m.step > 0 ? `'${m.phase}'` : `the phase before '${m.phase}'`);

/** Steps from a comma-separated list ('900,1200,1500'): at least 2, distinct, each a non-negative integer. */
export function parseAverageSteps(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  const steps = parts.map((s) => (/^\d{1,12}$/.test(s) ? Number(s) : NaN));
  const bad = parts.find((_, i) => !Number.isSafeInteger(steps[i]));
  if (bad !== undefined)
    throw new UserError(
      `--average-checkpoints: '${bad.slice(0, 40)}' is not a step; expected kept checkpoint steps separated by commas, e.g. 900,1200,1500`,
    );
  if (steps.length < 2) throw new UserError('--average-checkpoints: give at least 2 steps, e.g. 900,1200,1500');
  const dup = steps.find((s, i) => steps.indexOf(s) !== i);
  if (dup !== undefined)
    throw new UserError(`--average-checkpoints: step ${dup} is listed twice (each checkpoint counts once)`);
  return [...steps].sort((a, b) => a - b);
}

/**
 * The mean of the kept checkpoints at `steps` (each refused as `--checkpoint` refuses a step the run lacks). The
 * newest one's meta (its position and family state) comes with the averaged tensors; the checkpoints must be of one
 * phase, since a phased family's earlier phase holds later networks still at their initial weights.
 */
export function loadAveragedCheckpoint(runDir: string, runId: string, steps: number[]): LoadedCheckpoint {
  if (steps.length < 2) throw new Error('loadAveragedCheckpoint: needs at least 2 steps');
  const sums = new Map<
    string,
    { shape: number[]; dtype: tf.DataType; sum: Float64Array | null; first: tf.TypedArray | null }
  >();
  let newest: LoadedCheckpoint['meta'] | null = null;
  for (const step of steps) {
    const ck = loadCheckpointAtStep(runDir, runId, step);
    try {
      if (newest && lastTrainedPhase(ck.meta) !== lastTrainedPhase(newest))
        throw new UserError(
          `--average-checkpoints: steps ${newest.globalStep} and ${step} were trained in different phases (${phaseLabel(newest)} and ${phaseLabel(ck.meta)}): average checkpoints of one phase`,
        );
      const keys = Object.keys(ck.tensors);
      if (sums.size > 0 && (keys.length !== sums.size || keys.some((k) => !sums.has(k))))
        throw new UserError(
          `--average-checkpoints: the checkpoint at step ${step} holds other tensors than step ${steps[0]}'s: were they written by one model config?`,
        );
      for (const k of keys) {
        const t = ck.tensors[k];
        const data = t.dataSync();
        const acc = sums.get(k);
        if (!acc) {
          const sum = t.dtype === 'float32' ? Float64Array.from(data) : null;
          sums.set(k, { shape: [...t.shape], dtype: t.dtype, sum, first: sum ? null : data.slice() });
          continue;
        }
        if (acc.shape.join(',') !== t.shape.join(',') || acc.dtype !== t.dtype)
          throw new UserError(
            `--average-checkpoints: tensor '${k}' is ${t.dtype} [${t.shape}] at step ${step} and ${acc.dtype} [${acc.shape}] at step ${steps[0]}`,
          );
        if (acc.sum) for (let i = 0; i < data.length; i++) acc.sum[i] += data[i];
        else if (data.some((v, i) => v !== acc.first![i]))
          throw new UserError(
            `--average-checkpoints: the ${t.dtype} tensor '${k}' differs between steps ${steps[0]} and ${step}; only float weights can be averaged`,
          );
      }
      newest = ck.meta;
    } finally {
      tf.dispose(Object.values(ck.tensors));
    }
  }
  const tensors: Record<string, tf.Tensor> = {};
  for (const [k, { shape, dtype, sum, first }] of sums) {
    tensors[k] = sum
      ? tf.tensor(
          Float32Array.from(sum, (v) => v / steps.length),
          shape,
          'float32',
        )
      : tf.tensor(first!, shape, dtype);
  }
  return { meta: newest!, tensors };
}
